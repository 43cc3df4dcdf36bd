/**
 * Where the controller keeps its state, chosen by configuration: the embedded SQLite file (store and queue on one
 * handle, intake in one transaction), or DynamoDB + SQS for replicated `tornade serve` and the Lambda handlers
 * (intake step by step, GUID recorded last: store/intake.ts).
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Queue } from "../queue/queue.js";
import { sqliteQueue } from "../queue/sqlite-queue.js";
import type { SqsQueue } from "../queue/sqs-queue.js";
import { sqliteIntake, type Intake } from "../store/intake.js";
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

/**
 * Opens the configured state. DynamoDB and SQS are loaded only when configured: the embedded mode never pays for
 * their AWS SDK clients (tornade serve idles in less memory).
 */
export async function openState(config: Config, opts: StateOptions): Promise<State> {
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
  const { openReplicatedState } = await import("./build-state-replicated.js");
  return openReplicatedState(config, opts);
}
