/**
 * The DynamoDB table of the serverless store and queue, declared from the very definition the store creates in tests
 * (src/store/dynamodb-table.ts TORNADE_TABLE), so the deployed table cannot drift from the one the contract suite ran
 * against.
 */
import { aws_dynamodb as dynamodb, aws_iam as iam, RemovalPolicy } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { TORNADE_TABLE, TTL_ATTRIBUTE } from "../../src/store/dynamodb-table.js";

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
 * Item reads and conditional writes on the table and its named indexes — each index by its exact ARN rather than
 * the `index/*` wildcard that `grantReadWriteData` would add.
 */
export function tableStatement(table: dynamodb.ITable): iam.PolicyStatement {
  const indexes = (TORNADE_TABLE.GlobalSecondaryIndexes ?? []).map((g) => `${table.tableArn}/index/${g.IndexName ?? ""}`);
  return new iam.PolicyStatement({
    sid: "TornadeState",
    actions: [
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",
    ],
    resources: [table.tableArn, ...indexes],
  });
}
