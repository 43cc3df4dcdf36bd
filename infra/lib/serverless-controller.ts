/**
 * tornade's controller in serverless mode (docs/scale-out.md): webhook (function URL) → SQS → worker; EventBridge
 * task and build state changes → events; a scheduled sweep; state in one DynamoDB table; the App's private key and
 * the webhook secret in Secrets Manager. Nothing here is billed by the hour.
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
import { ENV } from "./controller-env.js";
import { ControllerFunction } from "./controller-function.js";
import { launchStatements, secretStatement, type RunnerTargets } from "./controller-permissions.js";
import type { HandlerName } from "./paths.js";
import { stateTable, tableStatement } from "./state-table.js";

export interface ServerlessControllerProps {
  readonly targets: RunnerTargets;
  /** Environment every function gets (cluster, task definitions, projects, labels, …). */
  readonly environment: Record<string, string>;
  readonly privateKeySecret: sm.ISecret;
  readonly webhookSecret: sm.ISecret;
  readonly sweepInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly code?: Partial<Record<HandlerName, lambda.Code>>;
  /** Receives before a message goes to the dead-letter queue. */
  readonly maxReceiveCount: number;
}

/** The worker's timeout; SQS's visibility timeout should be six times it ("Using Lambda with Amazon SQS"). */
const WORKER_TIMEOUT = Duration.seconds(60);

export class ServerlessController extends Construct {
  readonly table: dynamodb.Table;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly functions: Record<HandlerName, ControllerFunction>;
  readonly webhookUrl: lambda.FunctionUrl;
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
    const environment = {
      ...props.environment,
      [ENV.storeKind]: "dynamodb",
      [ENV.table]: this.table.tableName,
      [ENV.queueKind]: "sqs",
      [ENV.queueUrl]: this.queue.queueUrl,
      [ENV.privateKeySecretArn]: props.privateKeySecret.secretArn,
      [ENV.webhookSecretArn]: props.webhookSecret.secretArn,
    };
    const fn = (name: HandlerName, description: string, timeout: Duration) =>
      new ControllerFunction(this, name[0]?.toUpperCase() + name.slice(1), {
        name,
        description,
        timeout,
        environment,
        logRetention: props.logRetention,
        ...(props.code?.[name] ? { code: props.code[name] } : {}),
      });
    this.functions = {
      // GitHub gives a webhook 10 s ("Best practices for using webhooks"); the function only verifies and enqueues.
      webhook: fn("webhook", "tornade: verify a GitHub webhook, record it, enqueue its job, answer", Duration.seconds(10)),
      worker: fn("worker", "tornade: reconcile queued jobs (launch, fall back, give up)", WORKER_TIMEOUT),
      events: fn("events", "tornade: ECS task and CodeBuild build state changes to launch records", Duration.seconds(30)),
      sweep: fn("sweep", "tornade: re-read GitHub and the providers; enqueue what changed", Duration.seconds(120)),
    };

    const secrets = secretStatement([props.privateKeySecret, props.webhookSecret]);
    for (const f of Object.values(this.functions)) {
      f.role.addToPrincipalPolicy(secrets);
      f.role.addToPrincipalPolicy(tableStatement(this.table));
      this.queue.grantSendMessages(f.role);
    }
    // Only the functions that launch or check runners may touch ECS and CodeBuild.
    for (const f of [this.functions.worker, this.functions.sweep, this.functions.events]) {
      for (const s of launchStatements(props.targets)) f.role.addToPrincipalPolicy(s);
    }

    // GitHub cannot sign requests with SigV4: the URL is public and every request is checked against the webhook
    // secret (X-Hub-Signature-256) before anything is stored.
    this.webhookUrl = this.functions.webhook.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    this.functions.worker.fn.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize: 10,
        // A failed item goes back to the queue alone, not with the whole batch ("Handling errors for an SQS event
        // source in Lambda" → partial batch responses).
        reportBatchItemFailures: true,
        maxBatchingWindow: Duration.seconds(0),
      }),
    );

    const eventsTarget = new targets.LambdaFunction(this.functions.events.fn, {
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
        description: "tornade: periodic sweep (missed webhooks, lost state changes)",
        schedule: events.Schedule.rate(props.sweepInterval),
        targets: [new targets.LambdaFunction(this.functions.sweep.fn, { retryAttempts: 0 })],
      }),
    };
  }

  /** Lets another principal (e.g. an ECS-hosted `tornade serve` replica) use the same state and queue. */
  grantStateAndQueue(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(tableStatement(this.table));
    this.queue.grantSendMessages(grantee);
    this.queue.grantConsumeMessages(grantee);
  }
}
