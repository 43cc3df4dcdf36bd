/**
 * Leases (lease.ts) on the DynamoDB table: one item per lease, `LEASE#<name>` / `LEASE`, written by a PutItem
 * conditioned on the item being absent, the caller's own, or lapsed — so of two replicas racing for a lapsed lease
 * one wins. Release is a DeleteItem conditioned on the holder. No TTL: a lease is a few bytes, kept for its name.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Clock } from "../clock/clock.js";
import { av, isConditionFailed, num, str } from "./dynamodb-items.js";
import type { Lease } from "./lease.js";

const key = (name: string) => ({ pk: { S: `LEASE#${name}` }, sk: { S: "LEASE" } });

export class DynamoDbLeases {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { ...key(name), leaseName: av(name), holder: av(holder), expiresAt: av(now + ttlMs) },
          ConditionExpression: "attribute_not_exists(pk) OR holder = :holder OR expiresAt <= :now",
          ExpressionAttributeValues: { ":holder": { S: holder }, ":now": { N: String(now) } },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    try {
      await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: key(name), ConditionExpression: "holder = :holder", ExpressionAttributeValues: { ":holder": { S: holder } } }));
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  async getLease(name: string): Promise<Lease | undefined> {
    const r = await this.db.send(new GetItemCommand({ TableName: this.table, Key: key(name), ConsistentRead: true }));
    return r.Item && { name: str(r.Item, "leaseName"), holder: str(r.Item, "holder"), expiresAt: num(r.Item, "expiresAt") };
  }
}
