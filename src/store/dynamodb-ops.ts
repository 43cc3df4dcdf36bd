import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { Backend } from "../core/types.js";
import { av, isConditionFailed, queryAll, type Item } from "./dynamodb-items.js";
import { GSI_BY_STATE } from "./dynamodb-table.js";
import { VersionConflict } from "./store.js";

/**
 * The few DynamoDB operations the Store is built from, on its one table: a strongly consistent read, insert-if-absent,
 * a versioned update (optimistic locking), a paged query and a paged count. dynamodb-store.ts says what to store;
 * this file says how DynamoDB is asked.
 */
export class TableOps {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
  ) {}

  async get(key: Item): Promise<Item | undefined> {
    const { Item: item } = await this.db.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return item;
  }

  async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.db.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /** UpdateItem conditioned on the version: DynamoDB's optimistic locking. */
  async versionedUpdate(
    entity: "job" | "launch",
    key: Item,
    id: string | number,
    expectedVersion: number,
    values: Item,
    remove: readonly string[],
    now: number,
  ): Promise<Item> {
    const names: Record<string, string> = {};
    const exprValues: Record<string, AttributeValue> = { ":expected": av(expectedVersion), ":one": av(1), ":now": av(now) };
    const sets = ["#updatedAt = :now", "#version = #version + :one"];
    names["#updatedAt"] = "updatedAt";
    names["#version"] = "version";
    Object.entries(values).forEach(([field, value], i) => {
      names[`#f${i}`] = field;
      exprValues[`:v${i}`] = value;
      sets.push(`#f${i} = :v${i}`);
    });
    const removes = remove.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    try {
      const { Attributes } = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: "attribute_exists(pk) AND #version = :expected",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: exprValues,
          ReturnValues: "ALL_NEW",
        }),
      );
      if (!Attributes) throw new Error(`DynamoDB UpdateItem of ${entity} ${id} returned no attributes`);
      return Attributes;
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      const current = await this.get(key);
      const version = current?.["version"]?.N;
      throw new VersionConflict(entity, id, expectedVersion, version === undefined ? null : Number(version));
    }
  }

  async queryAll(input: Omit<QueryCommandInput, "TableName">, max = Infinity): Promise<Item[]> {
    return queryAll(this.db, { TableName: this.table, ...input }, max);
  }

  /** Items in one gsi2 partition, optionally only one backend's (COUNT applies after the filter). */
  async count(partition: string, backend?: Backend): Promise<number> {
    let n = 0;
    let start: Item | undefined;
    do {
      const answer = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI_BY_STATE,
          KeyConditionExpression: "gsi2pk = :p",
          ...(backend ? { FilterExpression: "backend = :b" } : {}),
          ExpressionAttributeValues: { ":p": { S: partition }, ...(backend ? { ":b": { S: backend } } : {}) },
          Select: "COUNT",
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      n += answer.Count ?? 0;
      start = answer.LastEvaluatedKey;
    } while (start);
    return n;
  }
}
