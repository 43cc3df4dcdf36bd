/**
 * The example stack: one TornadeRunners configured from CDK context values (cdk.json, or `-c key=value` on the
 * command line). docs/deploy-aws.md lists them.
 */
import { aws_codebuild as codebuild, aws_ec2 as ec2, aws_ecr as ecr, aws_lambda as lambda, aws_sns as sns, aws_sns_subscriptions as subs, CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { HANDLERS, handlerExists, type HandlerName } from "../lib/paths.js";
import { TornadeRunners, type TornadeRunnersProps } from "../lib/tornade-runners.js";

export const CONTEXT_KEYS = [
  "appId",
  "launchLabel",
  "runnerScope",
  "runnerGroupId",
  "allowedRepositories",
  "allowedOrganizations",
  "defaultBackend",
  "vpcId",
  "subnetIds",
  "securityGroupIds",
  "assignPublicIp",
  "fargateCpu",
  "fargateMemoryMiB",
  "fargateEphemeralStorageGiB",
  "codebuildComputeType",
  "codebuildPrivileged",
  "webhookReservedConcurrency",
  "runnerImageRepository",
  "runnerImageTag",
  "alarmEmail",
] as const;
type ContextKey = (typeof CONTEXT_KEYS)[number];

export class ContextError extends Error {}

function ctx(scope: Construct, key: ContextKey): string | undefined {
  const v: unknown = scope.node.tryGetContext(key);
  if (v === undefined || v === null || v === "") return undefined;
  return String(v);
}

function list(v: string | undefined): string[] | undefined {
  return v?.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function int(scope: Construct, key: ContextKey): number | undefined {
  const v = ctx(scope, key);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new ContextError(`context ${key}=${v}: must be a whole number (-c ${key}=1234)`);
  return Number(v);
}

function bool(scope: Construct, key: ContextKey): boolean | undefined {
  const v = ctx(scope, key);
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw new ContextError(`context ${key}=${v}: must be true or false (-c ${key}=false)`);
  return v === "true";
}

/** Code for handlers whose file does not exist yet: a function that fails loudly instead of a broken synth. */
export function placeholderCode(missing: readonly HandlerName[]): Partial<Record<HandlerName, lambda.Code>> {
  return Object.fromEntries(
    missing.map((name) => [
      name,
      lambda.Code.fromInline(`exports.handler = async () => { throw new Error("tornade: src/lambda/${name}.ts was missing when this stack was synthesized; redeploy"); };`),
    ]),
  );
}

export interface TornadeStackProps extends StackProps {
  /** Overrides for what context gives (tests). */
  readonly overrides?: Partial<TornadeRunnersProps>;
}

export class TornadeStack extends Stack {
  readonly tornade: TornadeRunners;

  constructor(scope: Construct, id: string, props: TornadeStackProps = {}) {
    super(scope, id, props);
    const appId = int(this, "appId");
    if (appId === undefined) throw new ContextError("context appId is required: the GitHub App's ID (-c appId=123456)");
    const vpcId = ctx(this, "vpcId");
    const vpc = vpcId ? ec2.Vpc.fromLookup(this, "Vpc", { vpcId }) : undefined;
    const subnetIds = list(ctx(this, "subnetIds"));
    const sgIds = list(ctx(this, "securityGroupIds"));
    const repoName = ctx(this, "runnerImageRepository");
    const cpu = int(this, "fargateCpu");
    const memoryMiB = int(this, "fargateMemoryMiB");
    const ephemeralStorageGiB = int(this, "fargateEphemeralStorageGiB");
    const computeType = ctx(this, "codebuildComputeType");
    const privileged = bool(this, "codebuildPrivileged");
    const webhookReservedConcurrency = int(this, "webhookReservedConcurrency");
    const alarmEmail = ctx(this, "alarmEmail");
    const missing = HANDLERS.filter((h) => !handlerExists(h));
    for (const h of missing) process.stderr.write(`warning: src/lambda/${h}.ts does not exist; its function gets a placeholder that fails\n`);
    let topic: sns.Topic | undefined;
    if (alarmEmail) {
      topic = new sns.Topic(this, "Alarms", { enforceSSL: true });
      topic.addSubscription(new subs.EmailSubscription(alarmEmail));
    }
    const assignPublicIp = bool(this, "assignPublicIp");
    const scopeValue = ctx(this, "runnerScope");
    if (scopeValue !== undefined && scopeValue !== "repo" && scopeValue !== "org") {
      throw new ContextError(`context runnerScope=${scopeValue}: must be repo or org`);
    }
    const backend = ctx(this, "defaultBackend")?.toUpperCase();
    if (backend !== undefined && backend !== "FARGATE" && backend !== "FARGATE_SPOT" && backend !== "CODEBUILD") {
      throw new ContextError(`context defaultBackend=${backend}: must be FARGATE, FARGATE_SPOT or CODEBUILD`);
    }
    const launchLabel = ctx(this, "launchLabel");
    const runnerGroupId = int(this, "runnerGroupId");
    const allowedRepositories = list(ctx(this, "allowedRepositories"));
    const allowedOrganizations = list(ctx(this, "allowedOrganizations"));
    this.tornade = new TornadeRunners(this, "Tornade", {
      githubAppId: appId,
      ...(launchLabel ? { launchLabel } : {}),
      ...(scopeValue ? { runnerScope: scopeValue } : {}),
      ...(runnerGroupId === undefined ? {} : { runnerGroupId }),
      ...(backend ? { defaultBackend: backend } : {}),
      ...(allowedRepositories ? { allowedRepositories } : {}),
      ...(allowedOrganizations ? { allowedOrganizations } : {}),
      ...(vpc ? { vpc } : {}),
      ...(subnetIds ? { subnets: { subnets: subnetIds.map((s, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, s)) } } : {}),
      ...(sgIds ? { securityGroups: sgIds.map((s, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `Sg${i}`, s)) } : {}),
      ...(assignPublicIp === undefined ? {} : { assignPublicIp }),
      ...(repoName
        ? { runnerImage: { kind: "ecr", repository: ecr.Repository.fromRepositoryName(this, "RunnerRepo", repoName), tagOrDigest: ctx(this, "runnerImageTag") ?? "latest" } }
        : {}),
      fargate: { ...(cpu ? { cpu } : {}), ...(memoryMiB ? { memoryMiB } : {}), ...(ephemeralStorageGiB ? { ephemeralStorageGiB } : {}) },
      codebuild: { ...(computeType ? { computeType: computeType as codebuild.ComputeType } : {}), ...(privileged === undefined ? {} : { privileged }) },
      ...(webhookReservedConcurrency === undefined ? {} : { webhookReservedConcurrency }),
      ...(topic ? { alarmTopic: topic } : {}),
      ...(missing.length ? { controllerCode: placeholderCode(missing) } : {}),
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
