/** A test bed, a local DynamoDB and SQS, and tornade's Lambda services wired to all three from environment variables. */
import { scaledClock, type Clock } from "../../src/clock/clock.js";
import { webhookHandler } from "../../src/lambda/webhook.js";
import { workerHandler } from "../../src/lambda/worker.js";
import { wire, wireEvents, wireIntake, type EventsServices, type IntakeServices, type LambdaServices } from "../../src/lambda/wiring.js";
import { silentLogger } from "../../src/log/logger.js";
import { testBedEnv } from "../../src/sandbox/sandbox.js";
import { startLocalDynamo, startLocalSqs, type LocalDynamo, type LocalSqs } from "../support/local-aws.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { startEventSource, startFunctionUrl, type EventSourceMapping, type FunctionUrl } from "./local-aws-lambda.js";

export const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface World {
  readonly clock: Clock;
  readonly bed: TestBed;
  readonly dynamo: LocalDynamo;
  readonly sqs: LocalSqs;
  readonly table: string;
  readonly queueUrl: string;
  /** What a function's environment would hold (TORNADE_* as the CDK construct sets them). */
  readonly env: Record<string, string>;
  /** The worker's and sweep's wiring, from the same environment without the webhook secret (as infra/ gives it). */
  services(): Promise<LambdaServices>;
  /** The webhook function's wiring, from the same environment without the App's private key (as infra/ gives it). */
  intakeServices(): Promise<IntakeServices>;
  /** The events function's wiring, from the same environment without any secret or GitHub credential (as infra/ gives it). */
  eventsServices(): Promise<EventsServices>;
  close(): Promise<void>;
}

export async function startWorld(speed: number): Promise<World> {
  const clock = scaledClock(speed);
  const [bed, dynamo, sqs] = await Promise.all([
    startTestBed({ clock, runnerLog: () => {}, github: { runnerLostAfterMs: 30 * 60_000 } }),
    startLocalDynamo(),
    startLocalSqs(),
  ]);
  const table = await dynamo.newTable();
  const queueUrl = await sqs.newQueue();
  const env: Record<string, string> = {
    ...testBedEnv(bed),
    TORNADE_STORE: "dynamodb",
    TORNADE_DYNAMODB_TABLE: table,
    TORNADE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    TORNADE_QUEUE: "sqs",
    TORNADE_SQS_QUEUE_URL: queueUrl,
    TORNADE_SQS_ENDPOINT: sqs.endpoint,
  };
  const made: { close(): Promise<void> }[] = [];
  return {
    clock,
    bed,
    dynamo,
    sqs,
    table,
    queueUrl,
    env,
    async services() {
      const { TORNADE_WEBHOOK_SECRET: _secret, ...withoutSecret } = env;
      const s = await wire(withoutSecret, { clock, logger: silentLogger, awsCredentials: CREDENTIALS });
      made.push(s);
      return s;
    },
    async intakeServices() {
      const { SECRET_KEY_PEM: _key, ...withoutKey } = env;
      const s = await wireIntake(withoutKey, { clock, logger: silentLogger, awsCredentials: CREDENTIALS });
      made.push(s);
      return s;
    },
    async eventsServices() {
      const { SECRET_KEY_PEM: _key, TORNADE_WEBHOOK_SECRET: _secret, APP_ID: _app, ...bare } = env;
      const s = await wireEvents(bare, { clock, logger: silentLogger, awsCredentials: CREDENTIALS });
      made.push(s);
      return s;
    },
    async close() {
      bed.github.control.setWebhookUrl(null);
      for (const s of made) await s.close();
      await bed.close();
      await Promise.all([dynamo.close(), sqs.close()]);
    },
  };
}

/** The webhook and worker functions as infra/ deploys them, running against a world. */
export interface Deployed {
  /** The worker's services (the whole controller); the sweep and events handlers run on them too. */
  readonly s: LambdaServices;
  /** The webhook function behind its URL, which the test bed's GitHub delivers to. */
  readonly url: FunctionUrl;
  /** The worker on the work queue's event source. */
  readonly esm: EventSourceMapping;
  stop(): Promise<void>;
}

/** GitHub's webhook URL at the webhook function (wired for intake only, without the App's key) and the worker on the queue. */
export async function deployFunctions(w: World): Promise<Deployed> {
  const s = await w.services();
  const url = await startFunctionUrl(webhookHandler(await w.intakeServices()));
  w.bed.github.control.setWebhookUrl(`${url.url}/events`);
  const esm = startEventSource(w.sqs.client, w.queueUrl, workerHandler(s));
  return {
    s,
    url,
    esm,
    async stop() {
      await esm.stop();
      await url.close();
    },
  };
}

export { until } from "../../testbed/until.js";
