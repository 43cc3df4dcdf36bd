/**
 * TornadeRunners: everything tornade needs in one AWS account and region — the runner cluster (FARGATE and
 * FARGATE_SPOT), runner task definitions and CodeBuild projects for x86_64 and ARM64, networking, and the controller
 * in serverless mode with its secrets and alarms. Import it into your own CDK app, or deploy infra/bin/app.ts.
 */
import {
  aws_codebuild as codebuild,
  aws_ec2 as ec2,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_secretsmanager as sm,
  aws_sns as sns,
  Duration,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import { TornadeAlarms } from "./alarms.js";
import { CodeBuildRunners } from "./codebuild-runners.js";
import { ENV } from "./controller-env.js";
import { EcsRunners, RUNNER_CONTAINER, type FargateSizeProps } from "./ecs-runners.js";
import { acknowledgeFindings } from "./nag-acknowledgements.js";
import { RunnerNetwork } from "./network.js";
import type { HandlerName } from "./paths.js";
import { RunnerCredentials } from "./runner-credentials.js";
import { RunnerImages, type RunnerImageSource } from "./runner-image.js";
import { ServerlessController } from "./serverless-controller.js";

export interface TornadeRunnersProps {
  /** The GitHub App's ID (its settings page, "App ID"). */
  readonly githubAppId: number;
  /** The label every tornade job carries besides self-hosted. Default "tornade". */
  readonly launchLabel?: string;
  /** Where runners register: "repo" (default) or "org". */
  readonly runnerScope?: "repo" | "org";
  /**
   * The runner group organization runners join (github.runnerGroupId). Default 1, the Default group, which is open to
   * every repository of the organization: with an allow-list it must be a group restricted to the allowed
   * repositories (docs/security.md, "Scope"), and tornade refuses to start otherwise.
   */
  readonly runnerGroupId?: number;
  /** Only these owner/repo may get runners. Default: every repository the App is installed on. */
  readonly allowedRepositories?: readonly string[];
  readonly allowedOrganizations?: readonly string[];
  /** Backend for jobs without runs-on=. Default FARGATE. */
  readonly defaultBackend?: "FARGATE" | "FARGATE_SPOT" | "CODEBUILD";

  /** An existing VPC; default a new one with public subnets and no NAT gateway (network.ts). */
  readonly vpc?: ec2.IVpc;
  readonly subnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  readonly assignPublicIp?: boolean;

  /** Default: build runner-image/ at deploy time. */
  readonly runnerImage?: RunnerImageSource;
  /** Size declared by the Fargate task definitions (jobs' cpu=/memory=/size= labels override per launch). */
  readonly fargate?: FargateSizeProps;
  /**
   * The CodeBuild runner projects. `privileged` (default true) is Docker in the build, which is what the CODEBUILD
   * backend is for; turn it off if your CodeBuild jobs never need Docker.
   */
  readonly codebuild?: { readonly computeType?: codebuild.ComputeType; readonly timeout?: Duration; readonly privileged?: boolean };

  /** Bring your own secrets; default two new ones (the private key to be set after deploy, the webhook secret
   * generated). */
  readonly privateKeySecret?: sm.ISecret;
  readonly webhookSecret?: sm.ISecret;

  /**
   * Concurrent executions reserved for the public webhook function, which are also the most it may run: a flood of
   * requests to its URL cannot take the account's other functions' concurrency, nor run more than this many at once.
   * Default 20 (one execution takes a delivery in tens of milliseconds, so hundreds of deliveries a second; a
   * delivery refused with 429 beyond that is redelivered by the sweep). Lambda keeps 100 of the account's concurrency
   * unreserved, so the account's limit must be at least 100 more than this ("Configuring reserved concurrency").
   */
  readonly webhookReservedConcurrency?: number;
  /** How often the sweep runs. Default 1 minute. */
  readonly sweepInterval?: Duration;
  /**
   * Receives of one SQS message before SQS moves it to the dead-letter queue. Default 50. tornade's queue keeps its
   * own dead letters in DynamoDB after its maxAttempts (src/queue/sqs-queue.ts), and a message that waits longer than
   * SQS's 15-minute delay is received more than once on purpose, so SQS's redrive is only the backstop for a message
   * that crashes the worker every time; it must stay well above the queue's own attempts.
   */
  readonly maxReceiveCount?: number;
  /** Failed launches in 5 minutes that raise the alarm. Default 3. */
  readonly launchFailureAlarmThreshold?: number;
  /** Where alarms notify; default none (they still show in CloudWatch). */
  readonly alarmTopic?: sns.ITopic;
  /** Default one month. */
  readonly logRetention?: logs.RetentionDays;
  /** Prebuilt function code instead of bundling src/lambda/*.ts (tests, or your own build). */
  readonly controllerCode?: Partial<Record<HandlerName, lambda.Code>>;
  /** Where runners' one-time JIT parameters live. Default /tornade/jit/ (docs/security.md, "Runner credentials"). */
  readonly jitParameterPrefix?: string;
}

export class TornadeRunners extends Construct {
  readonly network: RunnerNetwork;
  readonly ecs: EcsRunners;
  readonly codebuild: CodeBuildRunners;
  /** Where the runner images come from (and, when the CDK builds them, their copy for CodeBuild). */
  readonly runnerImages: RunnerImages;
  /** The KMS key and permissions of the runners' one-time JIT parameters. */
  readonly runnerCredentials: RunnerCredentials;
  readonly controller: ServerlessController;
  readonly alarms: TornadeAlarms;
  readonly privateKeySecret: sm.ISecret;
  readonly webhookSecret: sm.ISecret;

  constructor(scope: Construct, id: string, props: TornadeRunnersProps) {
    super(scope, id);
    checkScope(props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.network = new RunnerNetwork(this, "Network", {
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.subnets ? { subnets: props.subnets } : {}),
      ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      ...(props.assignPublicIp === undefined ? {} : { assignPublicIp: props.assignPublicIp }),
      flowLogRetention: logRetention,
    });
    const images = (this.runnerImages = new RunnerImages(this, "RunnerImage", { source: props.runnerImage ?? { kind: "asset" }, logRetention }));
    this.ecs = new EcsRunners(this, "Fargate", {
      vpc: this.network.vpc,
      images,
      logRetention,
      ...(props.fargate ? { size: props.fargate } : {}),
    });
    this.codebuild = new CodeBuildRunners(this, "CodeBuild", { images, logRetention, ...(props.codebuild ?? {}) });
    this.runnerCredentials = new RunnerCredentials(this, "RunnerCredentials", props.jitParameterPrefix ? { parameterPrefix: props.jitParameterPrefix } : {});
    // Fargate runners read their parameter themselves; CodeBuild reads it for the build (a PARAMETER_STORE variable).
    this.runnerCredentials.grantRead({ role: this.ecs.taskRole, reads: "GetParameter" });
    // The roles themselves: each project holds only an immutable view of its role, and grants through it are dropped.
    for (const role of Object.values(this.codebuild.roles)) this.runnerCredentials.grantRead({ role, reads: "GetParameters" });

    this.privateKeySecret =
      props.privateKeySecret ??
      new sm.Secret(this, "AppPrivateKey", {
        description: "tornade: the GitHub App's private key (PEM). Set it after deploy: see docs/deploy-aws.md",
      });
    this.webhookSecret =
      props.webhookSecret ??
      new sm.Secret(this, "WebhookSecret", {
        description: "tornade: the GitHub App's webhook secret; paste this value into the App's settings",
        generateSecretString: { passwordLength: 40, excludePunctuation: true },
      });

    const environment: Record<string, string> = {
      [ENV.appId]: String(props.githubAppId),
      [ENV.launchLabel]: props.launchLabel ?? "tornade",
      [ENV.cluster]: this.ecs.cluster.clusterArn,
      [ENV.subnets]: this.network.subnetIds.join(","),
      [ENV.securityGroups]: this.network.securityGroups.map((g) => g.securityGroupId).join(","),
      [ENV.assignPublicIp]: String(this.network.assignPublicIp),
      [ENV.taskDefinitionX86]: this.ecs.taskDefinitions.X86_64.taskDefinitionArn,
      [ENV.taskDefinitionArm]: this.ecs.taskDefinitions.ARM64.taskDefinitionArn,
      [ENV.containerName]: RUNNER_CONTAINER,
      [ENV.codebuildProjectX86]: this.codebuild.projects.X86_64.projectName,
      [ENV.codebuildProjectArm]: this.codebuild.projects.ARM64.projectName,
      [ENV.jitParameterPrefix]: this.runnerCredentials.parameterPrefix,
      [ENV.jitKmsKeyId]: this.runnerCredentials.key.keyArn,
      ...(props.runnerScope ? { [ENV.runnerScope]: props.runnerScope } : {}),
      ...(props.runnerGroupId === undefined ? {} : { [ENV.runnerGroupId]: String(props.runnerGroupId) }),
      ...(props.allowedRepositories?.length ? { [ENV.allowedRepositories]: props.allowedRepositories.join(",") } : {}),
      ...(props.allowedOrganizations?.length ? { [ENV.allowedOrganizations]: props.allowedOrganizations.join(",") } : {}),
      ...(props.defaultBackend ? { [ENV.defaultBackend]: props.defaultBackend } : {}),
    };
    this.controller = new ServerlessController(this, "Controller", {
      targets: {
        cluster: this.ecs.cluster,
        taskDefinitions: [this.ecs.taskDefinitions.X86_64, this.ecs.taskDefinitions.ARM64],
        taskRole: this.ecs.taskRole,
        executionRole: this.ecs.executionRole,
        projects: [this.codebuild.projects.X86_64, this.codebuild.projects.ARM64],
      },
      environment,
      privateKeySecret: this.privateKeySecret,
      webhookSecret: this.webhookSecret,
      sweepInterval: props.sweepInterval ?? Duration.minutes(1),
      logRetention,
      maxReceiveCount: props.maxReceiveCount ?? 50,
      webhookReservedConcurrency: reservedConcurrency(props.webhookReservedConcurrency),
      ...(props.controllerCode ? { code: props.controllerCode } : {}),
    });
    const { functions } = this.controller;
    // The functions that launch, watch and stop runners write and delete their JIT parameters.
    for (const f of [functions.worker, functions.sweep, functions.events]) this.runnerCredentials.grantWrite(f.role);
    this.alarms = new TornadeAlarms(this, "Alarms", {
      deadLetters: this.controller.deadLetters,
      launchLogGroups: [functions.worker.logGroup, functions.sweep.logGroup],
      launchFailureThreshold: props.launchFailureAlarmThreshold ?? 3,
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
    });
    acknowledgeFindings(this);
  }

  /** The URL to give the GitHub App as its webhook URL: the function URL's `/events` (src/server/app.ts). */
  get webhookUrl(): string {
    // A function URL ends with "/" ("Lambda function URLs" → URL format).
    return `${this.controller.webhookUrl.url}events`;
  }
}

const DEFAULT_WEBHOOK_CONCURRENCY = 20;

function reservedConcurrency(value: number | undefined): number {
  if (value === undefined) return DEFAULT_WEBHOOK_CONCURRENCY;
  if (!Number.isInteger(value) || value < 1) {
    // 0 would be valid for Lambda and stop the function altogether.
    throw new Error(`TornadeRunners webhookReservedConcurrency=${value}: must be a whole number of at least 1 (default ${DEFAULT_WEBHOOK_CONCURRENCY})`);
  }
  return value;
}

/**
 * The check tornade's configuration makes at start (src/config/scope-checks.ts), made at synth time so that a stack
 * whose functions would refuse to start is never deployed.
 */
function checkScope(props: TornadeRunnersProps): void {
  const allowList = (props.allowedRepositories?.length ?? 0) + (props.allowedOrganizations?.length ?? 0) > 0;
  const group = props.runnerGroupId ?? 1;
  if (!Number.isInteger(group) || group < 1) throw new Error(`TornadeRunners runnerGroupId=${group}: must be a positive whole number (a runner group's id)`);
  if (props.runnerScope === "org" && allowList && group === 1) {
    throw new Error(
      "TornadeRunners: organization runners (runnerScope \"org\") with allowedRepositories/allowedOrganizations would join the " +
        "Default runner group (1), open to every repository of the organization. Fix: create a runner group restricted to " +
        "the allowed repositories and set runnerGroupId (context runnerGroupId) to its id",
    );
  }
}
