/**
 * tornade's controller in serverless mode (docs/scale-out.md): webhook (function URL) → SQS → worker; EventBridge
 * task and build state changes → events; a scheduled sweep; state in one DynamoDB table; the App's private key and
 * the webhook secret in Secrets Manager. Nothing here is billed by the hour. The webhook function (and its URL) is
 * deployed only with the webhook intake; the worker only when no scale-set controller consumes the queue in its place.
 *
 * Each function holds what it uses (docs/security.md, "Deployment (infra/)"): the public webhook function the webhook
 * secret only, intake's items of the table only, and a reserved concurrency that caps it; only the worker launches
 * runners; the sweep describes them and stops the ones its reaper round releases; the events function touches no
 * runner and reads no secret.
 */
import {
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_event_sources as sources,
  aws_logs as logs,
  aws_secretsmanager as sm,
  aws_sqs as sqs,
  Duration,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import { SECRET_ARN_ENV, stateEnvironment } from "./controller-env.js";
import { ControllerFunction } from "./controller-function.js";
import { launchStatements, secretStatement, sendStatement, stopStatements, watchStatements, type RunnerTargets } from "./controller-permissions.js";
import { intakeTableStatements, stateTable, tableStatements } from "./state-table.js";
import { lambdaBundleDir, type HandlerName } from "./tornade-package.js";

export interface ServerlessControllerProps {
  readonly targets: RunnerTargets;
  /** Environment every function gets (cluster, task definitions, projects, labels, …). */
  readonly environment: Record<string, string>;
  readonly privateKeySecret: sm.ISecret;
  readonly sweepInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Code of your own for some functions (handler `index.handler`); the others run tornade's bundle. */
  readonly code?: Partial<Record<HandlerName, lambda.Code>>;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * The public webhook function and its URL, with its reserved concurrency (also the most it may run) and the secret
   * deliveries are signed with; undefined: neither, and no webhook secret anywhere (the webhook intake is off).
   */
  readonly webhook: { readonly reservedConcurrency: number; readonly secret: sm.ISecret } | undefined;
  /**
   * Whether a worker function consumes the work queue. false when a `tornade serve` container does (the scale-set
   * intake, scale-set-service.ts): a scale set's runner can only be registered by a controller holding its scale sets.
   */
  readonly worker: boolean;
}

/** The functions: events and sweep always; the webhook function and the worker as the intake needs them. */
export interface ControllerFunctions {
  readonly webhook?: ControllerFunction;
  readonly worker?: ControllerFunction;
  readonly events: ControllerFunction;
  readonly sweep: ControllerFunction;
}

/** The worker's timeout; SQS's visibility timeout should be six times it ("Using Lambda with Amazon SQS"). */
const WORKER_TIMEOUT = Duration.seconds(60);

export class ServerlessController extends Construct {
  readonly table: dynamodb.Table;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly functions: ControllerFunctions;
  /** The webhook function's public URL; undefined when the webhook intake is off (no public endpoint). */
  readonly webhookUrl: lambda.FunctionUrl | undefined;
  readonly rules: { readonly taskStates: events.Rule; readonly buildStates: events.Rule; readonly sweep: events.Rule };

  constructor(scope: Construct, id: string, props: ServerlessControllerProps) {
    super(scope, id);
    this.table = stateTable(this, "State");
    this.deadLetters = new sqs.Queue(this, "DeadLetters", { retentionPeriod: Duration.days(14), enforceSSL: true });
    this.queue = new sqs.Queue(this, "Work", {
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
    // Each function is told where only the secrets its wiring reads are (src/lambda/wiring.ts), and may read only
    // those: the events function none, the webhook function the webhook secret, the worker and sweep the App's key
    // (they verify no delivery, so they are never given the webhook secret).
    const state = { ...props.environment, ...stateEnvironment({ table: this.table.tableName, queueUrl: this.queue.queueUrl }) };
    const withKey = { ...state, [SECRET_ARN_ENV.privateKey]: props.privateKeySecret.secretArn };
    // tornade's bundle, one asset for every function that runs it (each its own handler in it).
    let bundle: lambda.Code | undefined;
    const codeOf = (name: HandlerName) => {
      const own = props.code?.[name];
      return own ? { own } : { bundle: (bundle ??= lambda.Code.fromAsset(lambdaBundleDir())) };
    };
    const fn = (name: HandlerName, description: string, timeout: Duration, environment: Record<string, string>, reservedConcurrency?: number) =>
      new ControllerFunction(this, name[0]?.toUpperCase() + name.slice(1), {
        name,
        description,
        timeout,
        environment,
        logRetention: props.logRetention,
        // A function told of no secret carries no extension to read one.
        readsSecrets: environment !== state,
        ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
        code: codeOf(name),
      });
    // Only the worker launches runners; the sweep's tracker round reads their states and its reaper round stops idle
    // ones (src/lambda/sweep.ts); the events function learns their states from EventBridge and calls neither ECS nor
    // CodeBuild. The worker and sweep functions load the whole configuration but the webhook secret; the events
    // function reads no secret.
    const controllerFn = (f: ControllerFunction, secrets: readonly sm.ISecret[]) => {
      if (secrets.length > 0) f.role.addToPrincipalPolicy(secretStatement(secrets));
      for (const s of tableStatements(this.table)) f.role.addToPrincipalPolicy(s);
      f.role.addToPrincipalPolicy(sendStatement(this.queue));
      return f;
    };
    const eventsFn = controllerFn(fn("events", "tornade: ECS task and CodeBuild build state changes to launch records", Duration.seconds(30), state), []);
    const sweep = controllerFn(fn("sweep", "tornade: re-read GitHub and the providers; enqueue what changed; release idle runners", Duration.seconds(120), withKey), [props.privateKeySecret]);
    for (const s of [...watchStatements(props.targets), ...stopStatements(props.targets)]) sweep.role.addToPrincipalPolicy(s);
    let worker: ControllerFunction | undefined;
    if (props.worker) {
      worker = controllerFn(fn("worker", "tornade: reconcile queued jobs (launch, fall back, give up)", WORKER_TIMEOUT, withKey), [props.privateKeySecret]);
      for (const s of launchStatements(props.targets)) worker.role.addToPrincipalPolicy(s);
      worker.fn.addEventSource(
        new sources.SqsEventSource(this.queue, {
          batchSize: 10,
          // A failed item goes back to the queue alone, not with the whole batch ("Handling errors for an SQS event
          // source in Lambda" → partial batch responses).
          reportBatchItemFailures: true,
          maxBatchingWindow: Duration.seconds(0),
        }),
      );
    }
    let webhook: ControllerFunction | undefined;
    if (props.webhook) {
      // GitHub gives a webhook 10 s ("Best practices for using webhooks"); the function only verifies and enqueues.
      // Its reserved concurrency keeps a flood of requests to the public URL from taking the account's other functions'
      // concurrency (or running up more than that many executions); GitHub's failed deliveries are redelivered by the
      // sweep.
      webhook = fn("webhook", "tornade: verify a GitHub webhook, record it, enqueue its job, answer", Duration.seconds(10), { ...state, [SECRET_ARN_ENV.webhookSecret]: props.webhook.secret.secretArn }, props.webhook.reservedConcurrency);
      webhook.role.addToPrincipalPolicy(secretStatement([props.webhook.secret]));
      for (const s of intakeTableStatements(this.table)) webhook.role.addToPrincipalPolicy(s);
      webhook.role.addToPrincipalPolicy(sendStatement(this.queue));
    }
    this.functions = { ...(webhook ? { webhook } : {}), ...(worker ? { worker } : {}), events: eventsFn, sweep };

    // GitHub cannot sign requests with SigV4: the URL is public and every request is checked against the webhook
    // secret (X-Hub-Signature-256) before anything is stored.
    this.webhookUrl = webhook?.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    const eventsTarget = new targets.LambdaFunction(eventsFn.fn, {
      retryAttempts: 8,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: this.deadLetters,
    });
    const { cluster, projects } = props.targets;
    this.rules = {
      taskStates: new events.Rule(this, "TaskStateChanges", {
        description: "tornade: runner task state changes (ECS Task State Change)",
        eventPattern: { source: ["aws.ecs"], detailType: ["ECS Task State Change"], detail: { clusterArn: [cluster.clusterArn] } },
        targets: [eventsTarget],
      }),
      buildStates: new events.Rule(this, "BuildStateChanges", {
        description: "tornade: runner build state changes (CodeBuild Build State Change)",
        eventPattern: {
          source: ["aws.codebuild"],
          detailType: ["CodeBuild Build State Change"],
          detail: { "project-name": projects.map((p) => p.projectName) },
        },
        targets: [eventsTarget],
      }),
      sweep: new events.Rule(this, "SweepSchedule", {
        description: "tornade: periodic sweep (missed webhooks, lost state changes, idle runners)",
        schedule: events.Schedule.rate(props.sweepInterval),
        targets: [new targets.LambdaFunction(sweep.fn, { retryAttempts: 0 })],
      }),
    };
  }

  /** A function this deployment has; throws, naming the intake, for one it does not deploy. */
  deployed(name: HandlerName): ControllerFunction {
    const f = this.functions[name];
    if (!f) throw new Error(`tornade's ${name} function is not deployed with this intake (${name === "webhook" ? "intake.webhooks is false" : "the scale-set controller consumes the work queue"})`);
    return f;
  }

  /** Lets another principal (e.g. an ECS-hosted `tornade serve` replica) use the same state and queue. */
  grantStateAndQueue(grantee: iam.IGrantable): void {
    for (const s of tableStatements(this.table)) grantee.grantPrincipal.addToPrincipalPolicy(s);
    grantee.grantPrincipal.addToPrincipalPolicy(sendStatement(this.queue));
    this.queue.grantConsumeMessages(grantee);
  }
}
