/**
 * The replicated state: DynamoDB (store) and SQS (queue), for several `tornade serve` replicas and the Lambda
 * handlers; intake step by step, GUID recorded last (store/intake.ts). Loaded by build-state.ts only when configured.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "../config/index.js";
import { sqsQueue } from "../queue/sqs-queue.js";
import { dynamoDbStore } from "../store/dynamodb-store.js";
import { AWS_REQUEST_TIMEOUT_MS, awsClientConfig } from "../providers/aws-client-config.js";
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
  const common = { region: config.aws.region ?? "us-east-1", credentials: opts.awsCredentials };
  const waitTimeSeconds = opts.sqsWaitTimeSeconds ?? 10;
  const dynamo = new DynamoDBClient(awsClientConfig({ ...common, endpoint: config.store.endpoint }));
  // A long poll holds its request for up to waitTimeSeconds by design: its deadline is that on top of the usual one.
  const sqs = new SQSClient(awsClientConfig({ ...common, endpoint: config.queue.endpoint, requestTimeoutMs: AWS_REQUEST_TIMEOUT_MS + waitTimeSeconds * 1000 }));
  const store = dynamoDbStore({ client: dynamo, table, clock });
  const queue = sqsQueue({ sqs, queueUrl: url, dynamo, table, clock, waitTimeSeconds });
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
