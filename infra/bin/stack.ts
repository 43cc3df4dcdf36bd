/**
 * The repository's example stack (tornade's own `npm run synth` and CI): one TornadeRunners configured from CDK
 * context values (cdk.json, or `-c key=value`). Users write their own app with @tornade/cdk (infra/README.md).
 */
import { aws_codebuild as codebuild, aws_ec2 as ec2, aws_ecr as ecr, aws_sns as sns, aws_sns_subscriptions as subs, CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { TornadeRunners, type Arch, type Backend, type TornadeRunnersProps } from "../lib/index.js";

export const CONTEXT_KEYS = [
  "appId",
  "launchLabel",
  "runnerScope",
  "runnerGroupId",
  "allowedRepositories",
  "allowedOrganizations",
  "defaultBackend",
  "defaultArch",
  "defaultCpu",
  "defaultMemory",
  "defaultDisk",
  "maxRunners",
  "vpcId",
  "subnetIds",
  "securityGroupIds",
  "assignPublicIp",
  "codebuildComputeType",
  "codebuildPrivileged",
  "webhookReservedConcurrency",
  "runnerImageRepository",
  "runnerImageTag",
  "alarmEmail",
] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];

/** A context value the example app cannot read; the construct checks the props it makes of them (props-check.ts). */
export class ContextError extends Error {}

function ctx(scope: Construct, key: ContextKey): string | undefined {
  const v: unknown = scope.node.tryGetContext(key);
  if (v === undefined || v === null || v === "") return undefined;
  return String(v);
}

function list(v: string | undefined): string[] | undefined {
  return v?.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function num(scope: Construct, key: ContextKey): number | undefined {
  const v = ctx(scope, key);
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ContextError(`context ${key}=${v}: must be a number (-c ${key}=1234)`);
  return Number(v);
}

function bool(scope: Construct, key: ContextKey): boolean | undefined {
  const v = ctx(scope, key);
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw new ContextError(`context ${key}=${v}: must be true or false (-c ${key}=false)`);
  return v === "true";
}

/** Only the keys given: the construct's defaults are tornade's. */
function given<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface TornadeStackProps extends StackProps {
  /** Overrides for what context gives (tests). */
  readonly overrides?: Partial<TornadeRunnersProps>;
}

export class TornadeStack extends Stack {
  readonly tornade: TornadeRunners;

  constructor(scope: Construct, id: string, props: TornadeStackProps = {}) {
    super(scope, id, props);
    const appId = num(this, "appId");
    if (appId === undefined) throw new ContextError("context appId is required: the GitHub App's ID (-c appId=123456)");
    const vpcId = ctx(this, "vpcId");
    const vpc = vpcId ? ec2.Vpc.fromLookup(this, "Vpc", { vpcId }) : undefined;
    const subnetIds = list(ctx(this, "subnetIds"));
    const sgIds = list(ctx(this, "securityGroupIds"));
    const repoName = ctx(this, "runnerImageRepository");
    const computeType = ctx(this, "codebuildComputeType");
    const alarmEmail = ctx(this, "alarmEmail");
    let topic: sns.Topic | undefined;
    if (alarmEmail) {
      topic = new sns.Topic(this, "Alarms", { enforceSSL: true });
      topic.addSubscription(new subs.EmailSubscription(alarmEmail));
    }
    // Context values are text: the construct checks what they say (and names the prop) when the app synthesizes.
    const text = <T extends string>(key: ContextKey) => ctx(this, key) as T | undefined;
    this.tornade = new TornadeRunners(this, "Tornade", {
      github: given({
        appId,
        runnerScope: text<"repo" | "org">("runnerScope"),
        runnerGroupId: num(this, "runnerGroupId"),
        allowedRepositories: list(ctx(this, "allowedRepositories")),
        allowedOrganizations: list(ctx(this, "allowedOrganizations")),
      }),
      ...given({
        launchLabel: ctx(this, "launchLabel"),
        defaultBackend: text<Backend>("defaultBackend"),
        defaultArch: text<Arch>("defaultArch"),
        assignPublicIp: bool(this, "assignPublicIp"),
        alarmTopic: topic,
        vpc,
      }),
      intake: { webhooks: given({ reservedConcurrency: num(this, "webhookReservedConcurrency") }) },
      defaults: given({ cpu: num(this, "defaultCpu"), memory: num(this, "defaultMemory"), disk: num(this, "defaultDisk") }),
      limits: given({ maxRunners: num(this, "maxRunners") }),
      ...(subnetIds ? { subnets: { subnets: subnetIds.map((s, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, s)) } } : {}),
      ...(sgIds ? { securityGroups: sgIds.map((s, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `Sg${i}`, s)) } : {}),
      ...(repoName
        ? { runnerImage: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(this, "RunnerRepo", repoName), tagOrDigest: ctx(this, "runnerImageTag") ?? "latest" } }
        : {}),
      codebuild: given({ computeType: computeType as codebuild.ComputeType | undefined, privileged: bool(this, "codebuildPrivileged") }),
      ...(props.overrides ?? {}),
    });
    new CfnOutput(this, "WebhookUrl", { value: this.tornade.webhookUrl, description: "the GitHub App's webhook URL" });
    new CfnOutput(this, "PrivateKeySecretArn", { value: this.tornade.privateKeySecret.secretArn, description: "put the App's private key (PEM) here" });
    new CfnOutput(this, "WebhookSecretArn", { value: this.tornade.webhookSecret.secretArn, description: "the App's webhook secret: copy this value into the App's settings" });
    new CfnOutput(this, "ClusterName", { value: this.tornade.ecs.cluster.clusterName });
  }
}

export function appEnv(): { account?: string; region?: string } {
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
}
