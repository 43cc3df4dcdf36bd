/**
 * The DynamoDB table of the serverless store and queue, declared from the very definition the store creates in tests
 * (tornade's src/store/dynamodb-table.ts TORNADE_TABLE, from the installed package), so the deployed table cannot
 * drift from the one the contract suite ran against.
 */
import { aws_dynamodb as dynamodb, aws_iam as iam, RemovalPolicy } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { TORNADE_TABLE, TTL_ATTRIBUTE } from "tornade/store/dynamodb-table";

type KeyElement = { AttributeName?: string | undefined; KeyType?: string | undefined };

function attributeType(name: string): dynamodb.AttributeType {
  const def = (TORNADE_TABLE.AttributeDefinitions ?? []).find((a) => a.AttributeName === name);
  if (def?.AttributeType === "S") return dynamodb.AttributeType.STRING;
  if (def?.AttributeType === "N") return dynamodb.AttributeType.NUMBER;
  if (def?.AttributeType === "B") return dynamodb.AttributeType.BINARY;
  throw new Error(`TORNADE_TABLE defines no attribute type for key ${name}`);
}

function key(schema: readonly KeyElement[] | undefined, type: "HASH" | "RANGE"): dynamodb.Attribute | undefined {
  const name = schema?.find((k) => k.KeyType === type)?.AttributeName;
  return name === undefined ? undefined : { name, type: attributeType(name) };
}

export function stateTable(scope: Construct, id: string): dynamodb.Table {
  const partitionKey = key(TORNADE_TABLE.KeySchema, "HASH");
  if (!partitionKey) throw new Error("TORNADE_TABLE has no partition key");
  const sortKey = key(TORNADE_TABLE.KeySchema, "RANGE");
  const table = new dynamodb.Table(scope, id, {
    partitionKey,
    ...(sortKey ? { sortKey } : {}),
    // On-demand: no charge for capacity while nothing runs ("Amazon DynamoDB pricing").
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TTL_ATTRIBUTE,
    // Job history is operational state, not a record of truth (GitHub keeps that); keep it on stack deletion anyway.
    removalPolicy: RemovalPolicy.RETAIN,
  });
  for (const gsi of TORNADE_TABLE.GlobalSecondaryIndexes ?? []) {
    const pk = key(gsi.KeySchema, "HASH");
    if (!gsi.IndexName || !pk) throw new Error("TORNADE_TABLE has an index without a name or partition key");
    if (gsi.Projection?.ProjectionType !== "ALL") throw new Error(`index ${gsi.IndexName}: only ALL projections are mirrored`);
    const sk = key(gsi.KeySchema, "RANGE");
    table.addGlobalSecondaryIndex({ indexName: gsi.IndexName, partitionKey: pk, ...(sk ? { sortKey: sk } : {}), projectionType: dynamodb.ProjectionType.ALL });
  }
  return table;
}

/**
 * What the worker, events and sweep functions (and replicas) do on the table: item reads and conditional writes,
 * and queries of the table and of its named indexes — each index by its exact ARN rather than the `index/*` wildcard
 * that `grantReadWriteData` would add. Nothing in tornade scans, batch-writes or describes the table
 * (src/store/dynamodb-store.ts, src/queue/sqs-queue.ts), so none of those is granted.
 */
export function tableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  const indexes = (TORNADE_TABLE.GlobalSecondaryIndexes ?? []).map((g) => `${table.tableArn}/index/${g.IndexName ?? ""}`);
  return [
    new iam.PolicyStatement({
      sid: "TornadeState",
      actions: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      resources: [table.tableArn],
    }),
    new iam.PolicyStatement({ sid: "TornadeStateIndexes", actions: ["dynamodb:Query"], resources: indexes }),
  ];
}

/**
 * Partition keys (src/store/dynamodb-table.ts, the key table) of the items the webhook's intake writes: the delivery
 * (recorded once), the job (JOB#<id>: a job created or advanced, src/controller/take-in.ts; intake writes no launch:
 * a runner taken by a sibling is marked by the worker, src/controller/taking.ts), and the pending queue item of a key
 * (QPEND#<key>, src/queue/sqs-queue.ts). infra/test/intake-access.test.ts records every request the real intake makes and checks it
 * against these.
 */
export const INTAKE_WRITES = ["DELIVERY#*", "JOB#*", "QPEND#*"] as const;
/**
 * What intake reads: what it writes, nothing else. (A re-run job's backend is its earlier attempt's row, read by the
 * reconciler in the worker function, src/controller/reconciler.ts rerunTarget.)
 */
export const INTAKE_READS = [...INTAKE_WRITES] as const;

/**
 * The webhook function's access to the table: GetItem, and PutItem/UpdateItem (intake's writes are all conditional:
 * insert-if-absent or versioned), only on items whose partition key intake owns — `dynamodb:LeadingKeys` ("Using IAM
 * policy conditions for fine-grained access control", DynamoDB Developer Guide). No Query, Scan, DeleteItem or batch
 * operation, no index. The `Null` condition refuses a request that names no partition key, for which a ForAllValues
 * condition alone would hold.
 */
export function intakeTableStatements(table: dynamodb.ITable): iam.PolicyStatement[] {
  const leadingKeys = (keys: readonly string[]) => ({
    "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...keys] },
    Null: { "dynamodb:LeadingKeys": "false" },
  });
  return [
    new iam.PolicyStatement({ sid: "IntakeReads", actions: ["dynamodb:GetItem"], resources: [table.tableArn], conditions: leadingKeys(INTAKE_READS) }),
    new iam.PolicyStatement({
      sid: "IntakeWrites",
      actions: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      resources: [table.tableArn],
      conditions: leadingKeys(INTAKE_WRITES),
    }),
  ];
}
