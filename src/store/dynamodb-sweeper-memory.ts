/**
 * The sweeper's memory (sweeper-memory.ts) on the DynamoDB table (layout: dynamodb-table.ts, docs/scale-out.md):
 *
 * | record           | pk                  | sk                | ttl                        |
 * | ---------------- | ------------------- | ----------------- | -------------------------- |
 * | failed delivery  | `REDELIVERY`        | `<guid>`          | found + 4 days             |
 * | looked-at run    | `RUNS#<owner/repo>` | `RUN#<runId>`     | looked at + keepMs         |
 *
 * Each kind lives in one partition, read whole by a strongly consistent Query of the table (no index): the followed
 * deliveries are few outside an outage, and a repository's remembered runs are those of its last day. Items are
 * written one by one (PutItem, UpdateItem, DeleteItem — no batch operation, as the IAM policy grants none); the claim is
 * an UpdateItem conditioned on the attempts read.
 */
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Clock } from "../clock/clock.js";
import { atMost } from "../core/at-most.js";
import { av, isConditionFailed, num, numOrNull, queryAll, str, strOrNull, type Item } from "./dynamodb-items.js";
import { pad, TTL_ATTRIBUTE } from "./dynamodb-table.js";
import { FAILED_DELIVERY_TTL_MS, type FailedDelivery, type LookedAtRun } from "./sweeper-memory.js";

const REDELIVERY_PK = "REDELIVERY";
const runsPk = (repository: string) => `RUNS#${repository}`;
/** Followed deliveries and remembered runs are written this many at a time. */
const WRITE_WIDTH = 16;

export class DynamoDbSweeperMemory {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async listFailedDeliveries(): Promise<FailedDelivery[]> {
    const items = await this.partition(REDELIVERY_PK);
    return items
      .map((i) => ({
        guid: str(i, "sk"),
        deliveryId: num(i, "deliveryId"),
        action: strOrNull(i, "action"),
        foundAt: num(i, "foundAt"),
        attempts: num(i, "attempts"),
        triedAt: numOrNull(i, "triedAt"),
      }))
      .sort((a, b) => a.foundAt - b.foundAt || (a.guid < b.guid ? -1 : 1));
  }

  async followFailedDeliveries(found: readonly FailedDelivery[]): Promise<void> {
    await atMost(WRITE_WIDTH, found, async (f) => {
      const item: Item = {
        pk: { S: REDELIVERY_PK },
        sk: { S: f.guid },
        deliveryId: av(f.deliveryId),
        action: av(f.action),
        foundAt: av(f.foundAt),
        attempts: av(f.attempts),
        triedAt: av(f.triedAt),
        [TTL_ATTRIBUTE]: av(Math.floor((f.foundAt + FAILED_DELIVERY_TTL_MS) / 1000)),
      };
      try {
        await this.db.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
      } catch (e) {
        if (!isConditionFailed(e)) throw e; // already followed: its record stays as it is
      }
    });
  }

  async claimRedelivery(guid: string, readAttempts: number, deliveryId: number, triedAt: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: REDELIVERY_PK }, sk: { S: guid } },
          UpdateExpression: "SET attempts = attempts + :one, triedAt = :at, deliveryId = :id",
          ConditionExpression: "attribute_exists(pk) AND attempts = :read",
          ExpressionAttributeValues: { ":one": av(1), ":at": av(triedAt), ":id": av(deliveryId), ":read": av(readAttempts) },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async forgetFailedDeliveries(guids: readonly string[]): Promise<void> {
    await atMost(WRITE_WIDTH, guids, async (guid) => {
      await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: REDELIVERY_PK }, sk: { S: guid } } }));
    });
  }

  async lookedAtRuns(repository: string, since: number): Promise<LookedAtRun[]> {
    const items = await this.partition(runsPk(repository));
    return items
      .map((i) => ({ runId: num(i, "runId"), lookedAt: num(i, "lookedAt"), settled: i["settled"]?.BOOL === true }))
      .filter((r) => r.lookedAt >= since);
  }

  async rememberRuns(repository: string, runs: readonly LookedAtRun[], keepMs: number): Promise<void> {
    await atMost(WRITE_WIDTH, runs, async (r) => {
      const item: Item = {
        pk: { S: runsPk(repository) },
        sk: { S: `RUN#${pad(r.runId)}` },
        runId: av(r.runId),
        lookedAt: av(r.lookedAt),
        settled: av(r.settled),
        updatedAt: av(this.clock.now()),
        [TTL_ATTRIBUTE]: av(Math.floor((r.lookedAt + keepMs) / 1000)),
      };
      await this.db.send(new PutItemCommand({ TableName: this.table, Item: item }));
    });
  }

  private partition(pk: string): Promise<Item[]> {
    return queryAll(this.db, { TableName: this.table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": { S: pk } }, ConsistentRead: true });
  }
}
