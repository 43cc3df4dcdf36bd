/**
 * TornadeRunners: everything tornade needs in one AWS account and region — the runner cluster (FARGATE and
 * FARGATE_SPOT), runner task definitions and CodeBuild projects for x86_64 and ARM64, networking, and the controller
 * in serverless mode with its secrets and alarms. Import it from @tornade/cdk into your own CDK app (README.md).
 */
import {
  aws_codebuild as codebuild,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_secretsmanager as sm,
  aws_sns as sns,
  Duration,
  Stack,
  Token,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import { TornadeAlarms } from "./alarms.js";
import { CodeBuildRunners } from "./codebuild-runners.js";
import { environmentOf, runnersEnvironment, stateEnvironment } from "./controller-env.js";
import { launchStatements, secretStatement, watchStatements, type RunnerTargets } from "./controller-permissions.js";
import { EcsRunners, RUNNER_CONTAINER } from "./ecs-runners.js";
import { acknowledgeFindings } from "./nag-acknowledgements.js";
import { RunnerNetwork } from "./network.js";
import { intakeOf, type IntakeProps } from "./intake.js";
import { checkProps } from "./props-check.js";
import { RunnerCredentials } from "./runner-credentials.js";
import { RunnerImages, type RunnerImageSource } from "./runner-image.js";
import { ScaleSetService } from "./scale-set-service.js";
import { ServerlessController } from "./serverless-controller.js";
import type { TornadeSettings } from "./settings.js";
import type { HandlerName } from "./tornade-package.js";

/**
 * tornade's settings (settings.ts: the names and defaults of tornade's configuration) and the construct's own props.
 * Every prop is checked when the app synthesizes (props-check.ts); bad props throw TornadeRunnersPropsError naming
 * each problem and its fix.
 */
export interface TornadeRunnersProps extends TornadeSettings {
  /**
   * How jobs reach tornade (intake.ts). Default `{ webhooks: true }`: GitHub posts `workflow_job` deliveries to the
   * webhook function's public URL. `scaleSets` adds GitHub's runner scale sets, held by a `tornade serve` service on
   * ECS with no inbound rule (scale-set-service.ts); with `webhooks: false` as well, nothing is public.
   */
  readonly intake?: IntakeProps;

  /** An existing VPC; default a new one with public subnets and no NAT gateway (network.ts). */
  readonly vpc?: ec2.IVpc;
  readonly subnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * tornade's aws.assignPublicIp: give runner tasks a public IP. Default true for the new VPC (public subnets, no NAT
   * gateway: without it runners cannot reach GitHub), false for a VPC you give.
   */
  readonly assignPublicIp?: boolean;
  /** tornade's aws.jitConfig: where runners' one-time JIT parameters live. Default prefix /tornade/jit/. */
  readonly jitConfig?: { readonly parameterPrefix?: string };

  /** Default: build tornade's runner image (its package's runner-image/) at deploy time. */
  readonly runnerImage?: RunnerImageSource;
  /**
   * The CodeBuild runner projects. `privileged` (default true) is Docker in the build, which is what the CODEBUILD
   * backend is for; turn it off if your CodeBuild jobs never need Docker.
   */
  readonly codebuild?: { readonly computeType?: codebuild.ComputeType; readonly timeout?: Duration; readonly privileged?: boolean };

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
  /** Code of your own instead of tornade's bundle, per function (tests, or your own build); handler `index.handler`. */
  readonly controllerCode?: Partial<Record<HandlerName, lambda.Code>>;
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
  /** The scale-set intake's `tornade serve` service (no inbound), when intake.scaleSets is given. */
  readonly scaleSetService: ScaleSetService | undefined;
  readonly alarms: TornadeAlarms;
  readonly privateKeySecret: sm.ISecret;
  /** The webhook secret; undefined with `intake.webhooks: false`, when nothing verifies a delivery (none is created). */
  private readonly webhookSecretOrNone: sm.ISecret | undefined;
  /**
   * The controller's configuration as tornade reads it from the environment — settings, runners, the state table and
   * queue, the region — without the secrets: for a `tornade serve` container on this construct's runners and state (the
   * container layout, docs/deploy-aws.md), which gets the App's key as SECRET_KEY_PEM and the webhook secret as
   * TORNADE_WEBHOOK_SECRET from privateKeySecret and webhookSecret (with the webhook intake on).
   */
  readonly controllerEnvironment: Readonly<Record<string, string>>;
  private readonly targets: RunnerTargets;

  constructor(scope: Construct, id: string, props: TornadeRunnersProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    // Everything is checked before anything is declared; bad props throw, naming every problem.
    const { config, settingsEnv, intakeEnv } = checkProps(this.node.path, props, Token.isUnresolved(region) ? undefined : region);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.network = new RunnerNetwork(this, "Network", {
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.subnets ? { subnets: props.subnets } : {}),
      ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      ...(props.assignPublicIp === undefined ? {} : { assignPublicIp: props.assignPublicIp }),
      flowLogRetention: logRetention,
    });
    const images = (this.runnerImages = new RunnerImages(this, "RunnerImage", { source: props.runnerImage ?? { kind: "asset" }, logRetention }));
    const size = config.defaults;
    this.ecs = new EcsRunners(this, "Fargate", {
      vpc: this.network.vpc,
      images,
      logRetention,
      // The task definitions declare the size of jobs naming none (tornade fills in memory for a cpu, and the reverse).
      size: {
        ...(size.cpu === undefined ? {} : { cpu: size.cpu }),
        ...(size.memory === undefined ? {} : { memoryMiB: size.memory }),
        ...(size.disk === undefined ? {} : { ephemeralStorageGiB: size.disk }),
      },
    });
    this.codebuild = new CodeBuildRunners(this, "CodeBuild", { images, logRetention, ...(props.codebuild ?? {}) });
    this.runnerCredentials = new RunnerCredentials(this, "RunnerCredentials", {
      parameterPrefix: config.aws.jitConfig.parameterPrefix,
      // tornade's default key is this alias: a controller configured by hand elsewhere finds the same key.
      keyAlias: config.aws.jitConfig.kmsKeyId,
    });
    // Fargate runners read their parameter themselves; CodeBuild reads it for the build (a PARAMETER_STORE variable).
    this.runnerCredentials.grantRead({ role: this.ecs.taskRole, reads: "GetParameter" });
    // The roles themselves: each project holds only an immutable view of its role, and grants through it are dropped.
    for (const role of Object.values(this.codebuild.roles)) this.runnerCredentials.grantRead({ role, reads: "GetParameters" });

    this.privateKeySecret =
      props.github.privateKey ??
      new sm.Secret(this, "AppPrivateKey", {
        description: "tornade: the GitHub App's private key (PEM). Set it after deploy: see docs/deploy-aws.md",
      });
    const intake = intakeOf(props.intake);
    // Without the webhook intake no delivery is verified anywhere: no secret is created, and no one may read one.
    this.webhookSecretOrNone = !intake.webhooks
      ? undefined
      : (props.github.webhookSecret ??
        new sm.Secret(this, "WebhookSecret", {
          description: "tornade: the GitHub App's webhook secret; paste this value into the App's settings",
          generateSecretString: { passwordLength: 40, excludePunctuation: true },
        }));

    const environment: Record<string, string> = {
      ...settingsEnv,
      // Without the webhook intake the functions are told so too: their configuration then needs no webhook secret,
      // and the sweep re-reads no webhook deliveries (src/lambda/sweep.ts), as `tornade serve` with scale sets only.
      ...(intake.webhooks ? {} : intakeEnv),
      ...runnersEnvironment({
        cluster: this.ecs.cluster.clusterArn,
        subnets: this.network.subnetIds,
        securityGroups: this.network.securityGroups.map((g) => g.securityGroupId),
        assignPublicIp: this.network.assignPublicIp,
        taskDefinitions: { X86_64: this.ecs.taskDefinitions.X86_64.taskDefinitionArn, ARM64: this.ecs.taskDefinitions.ARM64.taskDefinitionArn },
        containerName: RUNNER_CONTAINER,
        codebuildProjects: { X86_64: this.codebuild.projects.X86_64.projectName, ARM64: this.codebuild.projects.ARM64.projectName },
        jitParameterPrefix: this.runnerCredentials.parameterPrefix,
        jitKmsKeyId: this.runnerCredentials.key.keyArn,
      }),
    };
    this.targets = {
      cluster: this.ecs.cluster,
      taskDefinitions: [this.ecs.taskDefinitions.X86_64, this.ecs.taskDefinitions.ARM64],
      taskRole: this.ecs.taskRole,
      executionRole: this.ecs.executionRole,
      projects: [this.codebuild.projects.X86_64, this.codebuild.projects.ARM64],
    };
    this.controller = new ServerlessController(this, "Controller", {
      targets: this.targets,
      environment,
      privateKeySecret: this.privateKeySecret,
      sweepInterval: Duration.seconds(config.sweeper.intervalSeconds),
      logRetention,
      maxReceiveCount: props.maxReceiveCount ?? 50,
      webhook: intake.webhooks && this.webhookSecretOrNone && { ...intake.webhooks, secret: this.webhookSecretOrNone },
      // The scale-set service consumes the work queue in the worker's place (scale-set-service.ts says why).
      worker: intake.scaleSets === undefined,
      ...(props.controllerCode ? { code: props.controllerCode } : {}),
    });
    this.controllerEnvironment = {
      ...environment,
      ...stateEnvironment({ table: this.controller.table.tableName, queueUrl: this.controller.queue.queueUrl }),
      // Lambda tells its functions their region (AWS_REGION); a container is told here.
      ...environmentOf({ "aws.region": Stack.of(this).region }),
    };
    const { functions } = this.controller;
    // The functions that launch, watch and stop runners write and delete their JIT parameters; the events function,
    // which follows them, only deletes those of runners it learns stopped unread.
    for (const f of [functions.worker, functions.sweep]) if (f) this.runnerCredentials.grantWrite(f.role);
    this.runnerCredentials.grantDiscard(functions.events.role);
    const scaleSets = intake.scaleSets;
    this.scaleSetService =
      scaleSets &&
      new ScaleSetService(this, "ScaleSets", {
        cluster: this.ecs.cluster,
        vpc: this.network.vpc,
        subnets: this.network.selection,
        assignPublicIp: this.network.assignPublicIp,
        environment: { ...this.controllerEnvironment, ...intakeEnv },
        privateKeySecret: this.privateKeySecret,
        image: scaleSets.image ?? { kind: "asset" },
        replicas: scaleSets.replicas ?? 1,
        extraEgressPorts: githubPorts(config.github.baseUrl),
        logRetention,
      });
    // Its key comes from ECS's secrets (the execution role reads it at start), so its task role reads no secret.
    if (this.scaleSetService) this.grantRunning(this.scaleSetService.taskDefinition.taskRole, []);
    this.alarms = new TornadeAlarms(this, "Alarms", {
      deadLetters: this.controller.deadLetters,
      // Where launches fail: the worker function, or the scale-set service in its place; and the sweep.
      launchLogGroups: [(functions.worker ?? this.scaleSetService)?.logGroup, functions.sweep.logGroup].filter((g) => g !== undefined),
      launchFailureThreshold: props.launchFailureAlarmThreshold ?? 3,
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
    });
    acknowledgeFindings(this);
  }

  /**
   * Lets another principal run tornade's controller on this construct's runners and state — the task role of a
   * `tornade serve` container (the container layout): launch, watch and stop runners, write their one-time JIT
   * parameters, use the state table and the work queue, read the App's key and (with the webhook intake) the webhook
   * secret.
   */
  grantController(grantee: iam.IGrantable): void {
    this.grantRunning(grantee, [this.privateKeySecret, ...(this.webhookSecretOrNone ? [this.webhookSecretOrNone] : [])]);
  }

  /** The secret GitHub signs webhook deliveries with. Throws with `intake.webhooks: false`, which creates none. */
  get webhookSecret(): sm.ISecret {
    if (!this.webhookSecretOrNone) throw new Error(`TornadeRunners ${this.node.path}: intake.webhooks is false, so there is no webhook secret (nothing takes webhooks in); turn the GitHub App's webhook off`);
    return this.webhookSecretOrNone;
  }

  /** What a `tornade serve` controller does on this construct, and reading `secrets` (none when ECS injects them). */
  private grantRunning(grantee: iam.IGrantable, secrets: readonly sm.ISecret[]): void {
    const principal = grantee.grantPrincipal;
    const statements = [...launchStatements(this.targets), ...watchStatements(this.targets), ...(secrets.length ? [secretStatement(secrets)] : [])];
    for (const s of statements) principal.addToPrincipalPolicy(s);
    this.controller.grantStateAndQueue(grantee);
    this.runnerCredentials.grantWrite(principal);
  }

  /**
   * The URL to give the GitHub App as its webhook URL: the function URL's `/events` (src/server/app.ts). Throws with
   * `intake.webhooks: false`, which deploys no public endpoint.
   */
  get webhookUrl(): string {
    const url = this.controller.webhookUrl;
    if (!url) throw new Error(`TornadeRunners ${this.node.path}: intake.webhooks is false, so there is no webhook URL (no public endpoint at all); turn the GitHub App's webhook off`);
    // A function URL ends with "/" ("Lambda function URLs" → URL format).
    return `${url.url}events`;
  }
}

/** The port of github.baseUrl when it is not HTTPS's 443 (a GitHub Enterprise Server elsewhere), for the egress rule. */
function githubPorts(baseUrl: string): number[] {
  const u = new URL(baseUrl);
  const port = u.port === "" ? (u.protocol === "http:" ? 80 : 443) : Number(u.port);
  return port === 443 ? [] : [port];
}
