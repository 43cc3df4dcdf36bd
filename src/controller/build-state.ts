/**
 * Where the controller keeps its state, chosen by configuration: the embedded SQLite file (store and queue on one
 * handle, intake in one transaction), or DynamoDB + SQS for replicated `tornade serve` and the Lambda handlers
 * (intake step by step, GUID recorded last: store/intake.ts).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Queue } from "../queue/queue.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import { sqsQueue, type SqsQueue } from "../queue/sqs-queue.js";
import { dynamoDbStore } from "../store/dynamodb-store.js";
import { sequentialIntake, sqliteIntake, type Intake } from "../store/intake.js";
import { openSqlite } from "../store/sqlite.js";
import { sqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";

export interface StateOptions {
  readonly clock: Clock;
  /** Static credentials (tests against local emulators); production uses the SDK's default provider chain. */
  readonly awsCredentials?: { accessKeyId: string; secretAccessKey: string };
  /** SQS long polling for replicas (seconds, 0–20); default 10 when the queue is SQS. */
  readonly sqsWaitTimeSeconds?: number;
}

export interface State {
  readonly store: Store;
  readonly queue: Queue;
  readonly intake: Intake;
  /** The SQS queue when the queue is SQS (the Lambda worker claims its event's messages through it). */
  readonly sqs?: SqsQueue;
  close(): Promise<void>;
}

export function openState(config: Config, opts: StateOptions): State {
  const { clock } = opts;
  if (config.store.kind === "sqlite") {
    const db = openSqlite(config.store.path);
    const store = sqliteStore(db, clock);
    const queue = sqliteQueue(db, clock);
    return {
      store,
      queue,
      intake: sqliteIntake(store, queue),
      async close() {
        await queue.close();
        await store.close();
      },
    };
  }
  // loadConfig's checks (config/state-checks.ts) guarantee these for a dynamodb store with an sqs queue.
  const table = config.store.table;
  const url = config.queue.url;
  if (table === undefined || url === undefined || config.queue.kind !== "sqs") {
    throw new Error("store dynamodb needs store.table and an sqs queue with queue.url (see config/state-checks.ts)");
  }
  const common = {
    region: config.aws.region ?? "us-east-1",
    ...(opts.awsCredentials ? { credentials: opts.awsCredentials } : {}),
  };
  const dynamo = new DynamoDBClient({ ...common, ...(config.store.endpoint ? { endpoint: config.store.endpoint } : {}) });
  const sqs = new SQSClient({ ...common, ...(config.queue.endpoint ? { endpoint: config.queue.endpoint } : {}) });
  const store = dynamoDbStore({ client: dynamo, table, clock });
  const queue = sqsQueue({ sqs, queueUrl: url, dynamo, table, clock, waitTimeSeconds: opts.sqsWaitTimeSeconds ?? 10 });
  return {
    store,
    queue,
    intake: sequentialIntake(store, queue),
    sqs: queue,
    async close() {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}
