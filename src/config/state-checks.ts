/** The store and queue must fit together: each named backend needs its address, and SQS keeps its items in DynamoDB. */
import type { Config } from "./schema.js";

export function checkStateBackends(config: Config, where: (key: string) => string): string[] {
  const problems: string[] = [];
  const { store, queue } = config;
  if (store.kind === "dynamodb" && store.table === undefined) {
    problems.push(`${where("store.table")}: missing; the dynamodb store needs its table. Fix: set TORNADE_DYNAMODB_TABLE (or store.table)`);
  }
  if (queue.kind === "sqs" && queue.url === undefined) {
    problems.push(`${where("queue.url")}: missing; the sqs queue needs its queue. Fix: set TORNADE_SQS_QUEUE_URL (or queue.url)`);
  }
  if (queue.kind === "sqs" && store.kind !== "dynamodb") {
    problems.push(`${where("queue.kind")}: sqs keeps its items in DynamoDB. Fix: also set TORNADE_STORE=dynamodb and TORNADE_DYNAMODB_TABLE`);
  }
  if (store.kind === "dynamodb" && queue.kind === "sqlite") {
    problems.push(`${where("queue.kind")}: a dynamodb store with a local sqlite queue would strand work on one replica. Fix: set TORNADE_QUEUE=sqs and TORNADE_SQS_QUEUE_URL`);
  }
  return problems;
}
