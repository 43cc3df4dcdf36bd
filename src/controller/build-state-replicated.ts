/**
 * The replicated state: DynamoDB (store) and SQS (queue), for several `tornade serve` replicas and the Lambda
 * handlers; intake step by step, GUID recorded last (store/intake.ts). Loaded by build-state.ts only when configured.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "../config/index.js";
import { sqsQueue } from "../queue/sqs-queue.js";
import { dynamoDbStore } from "../store/dynamodb-store.js";
import { sequentialIntake } from "../store/intake.js";
import type { State, StateOptions } from "./build-state.js";

export function openReplicatedState(config: Config, opts: StateOptions): State {
  const { clock } = opts;
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
