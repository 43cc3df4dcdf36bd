/**
 * The one DynamoDB table behind the scale-out Store (dynamodb-store.ts) and the SQS queue's bookkeeping
 * (../queue/sqs-queue.ts). The CDK construct (infra/) declares the same key schema; `createTornadeTable` creates it for
 * tests (dynalite) and for `tornade serve --store dynamodb` against a table nobody created yet.
 *
 * Single-table design (AWS, "Best practices for DynamoDB" → single-table / overloaded GSIs): every record has a
 * string partition key `pk` and sort key `sk`; three overloaded GSIs index whichever records need listing:
 *
 * | record      | pk                 | sk                  | gsi1 (gsi1pk / gsi1sk)         | gsi2 (gsi2pk / gsi2sk)                 | gsi3pk            |
 * | ----------- | ------------------ | ------------------- | ------------------------------ | -------------------------------------- | ----------------- |
 * | job         | JOB#<id>           | JOB                 | JOBS / <updatedAt>#<id>        | JOBSTATUS#<status> / <updatedAt>#<id>  | RERUN#<runId>#<name>, once re-run |
 * | launch      | JOB#<jobId>        | LAUNCH#<attempt>    | —                              | LAUNCHSTATE#<state> / <requestedAt>#<id>| PROVIDER#<taskArn or build id> |
 * | delivery    | DELIVERY#<guid>    | DELIVERY            | DELIVERIES / <receivedAt>#<guid>| —                                     | —                 |
 * | meta        | META#<key>         | META                | —                              | —                                      | —                 |
 * | redelivery  | REDELIVERY         | <guid>              | —                              | —                                      | —                 |
 * | swept run   | RUNS#<owner/repo>  | RUN#<runId>         | —                              | —                                      | —                 |
 * | queue items | QPEND#<key> / QMSG#<sqs id> / QDEAD#<id> | ITEM | —                     | QUEUE#pending|inflight|dead / …        | —                 |
 *
 * Numbers in sort keys are zero-padded to 16 digits so that string order is numeric order. GSI reads are eventually
 * consistent (DynamoDB Developer Guide, "Using Global Secondary Indexes" → "Reading data from a GSI"): listings and
 * counts may lag a write by a moment; every decision that must not be wrong reads the base table (GetItem, consistent)
 * and writes with a condition. Deliveries carry a TTL attribute `ttl` (epoch seconds, 7 days after receipt) so
 * DynamoDB forgets them on its own (GitHub redelivers for at most 3 days); so do the sweeper's records
 * (dynamodb-sweeper-memory.ts).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

export const GSI_BY_UPDATED = "gsi1";
export const GSI_BY_STATE = "gsi2";
/** Sparse point lookups: launches by task ARN or build id, jobs tornade re-ran by run and name. */
export const GSI_BY_LOOKUP = "gsi3";
export const TTL_ATTRIBUTE = "ttl";

/** The table's definition without its name; infra/ mirrors exactly this. */
export const TORNADE_TABLE: Omit<CreateTableCommandInput, "TableName"> = {
  BillingMode: "PAY_PER_REQUEST",
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "S" },
    { AttributeName: "gsi1pk", AttributeType: "S" },
    { AttributeName: "gsi1sk", AttributeType: "S" },
    { AttributeName: "gsi2pk", AttributeType: "S" },
    { AttributeName: "gsi2sk", AttributeType: "S" },
    { AttributeName: "gsi3pk", AttributeType: "S" },
  ],
  KeySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: GSI_BY_UPDATED,
      KeySchema: [
        { AttributeName: "gsi1pk", KeyType: "HASH" },
        { AttributeName: "gsi1sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
    {
      IndexName: GSI_BY_STATE,
      KeySchema: [
        { AttributeName: "gsi2pk", KeyType: "HASH" },
        { AttributeName: "gsi2sk", KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    },
    {
      IndexName: GSI_BY_LOOKUP,
      KeySchema: [{ AttributeName: "gsi3pk", KeyType: "HASH" }],
      Projection: { ProjectionType: "ALL" },
    },
  ],
};

/** Creates the table unless it exists, and waits until it is ACTIVE. */
export async function createTornadeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand({ ...TORNADE_TABLE, TableName: tableName }));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  for (let i = 0; i < 600; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE" && (Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE")) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB table ${tableName} did not become ACTIVE within a minute`);
}

/** Zero-padded so that lexicographic order is numeric order (ids and epoch ms stay below 10^16). */
export function pad(n: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(16, "0");
}
