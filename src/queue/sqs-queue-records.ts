import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { av, json, num, parseJson, str, type Item } from "../store/dynamodb-items.js";
import { isConditionFailed } from "../store/dynamodb-store.js";
import { GSI_BY_STATE, pad } from "../store/dynamodb-table.js";
import type { DeadLetter, EnqueueItem, JsonValue, LeasedItem } from "./queue.js";

type State = "pending" | "inflight" | "dead";

/**
 * The SQS queue's bookkeeping in DynamoDB (sqs-queue.ts has the protocol): one record per pending key (`QPEND#<key>`),
 * per message in flight (`QMSG#<sqs message id>`) and per dead item (`QDEAD#<id>`), each carrying its state's partition
 * in gsi2 so depth() and the dead letters can be listed. Every write that can race is conditional; a condition that
 * fails is answered as `false` / `undefined` (someone else got there first), any other error is thrown.
 */
export class QueueRecords {
  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly table: string,
    /** Records of one queue only, so two queues can share a table. */
    private readonly queueUrl: string,
  ) {}

  pending(key: string): Promise<Item | undefined> {
    return this.get(pendKey(key));
  }

  inflight(messageId: string): Promise<Item | undefined> {
    return this.get(msgKey(messageId));
  }

  /**
   * Writes a key's pending item: a new one (`expectedVersion` undefined: only if none exists) or the next version of
   * the one read. False when another enqueue or a claim moved the record since.
   */
  putPending(item: EnqueueItem, visibleAt: number, itemId: string, expectedVersion: number | undefined): Promise<boolean> {
    const record: Item = {
      ...pendKey(item.key),
      gsi2pk: { S: this.partition("pending") },
      gsi2sk: { S: item.key },
      itemId: av(itemId),
      key: av(item.key),
      kind: av(item.kind),
      payload: json(item.payload ?? null),
      visibleAt: av(visibleAt),
      version: av((expectedVersion ?? 0) + 1),
    };
    const condition =
      expectedVersion === undefined
        ? { ConditionExpression: "attribute_not_exists(pk)" }
        : { ConditionExpression: "version = :v", ExpressionAttributeValues: { ":v": av(expectedVersion) } };
    return this.conditional(() => this.dynamo.send(new PutItemCommand({ TableName: this.table, Item: record, ...condition })));
  }

  /**
   * Claims a pending item for a received message: writes its in-flight record, then deletes the pending record under
   * the version read. The record when the claim held; undefined when the pending record changed in between (the
   * in-flight record is then the caller's to keep or delete).
   */
  async claim(pending: Item, messageId: string, receiveCount: number, receipt: string, leaseUntil: number): Promise<Item | undefined> {
    const record: Item = {
      ...msgKey(messageId),
      gsi2pk: { S: this.partition("inflight") },
      gsi2sk: { S: messageId },
      itemId: pending["itemId"]!,
      key: pending["key"]!,
      kind: pending["kind"]!,
      payload: pending["payload"]!,
      visibleAt: pending["visibleAt"]!,
      claimedAt: av(receiveCount),
      receipt: av(receipt),
      leaseUntil: av(leaseUntil),
    };
    await this.dynamo.send(new PutItemCommand({ TableName: this.table, Item: record }));
    const deleted = await this.conditional(() =>
      this.dynamo.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: pending["pk"]!, sk: pending["sk"]! },
          ConditionExpression: "version = :v",
          ExpressionAttributeValues: { ":v": pending["version"]! },
        }),
      ),
    );
    return deleted ? record : undefined;
  }

  async dropInflight(messageId: string): Promise<void> {
    await this.dynamo.send(new DeleteItemCommand({ TableName: this.table, Key: msgKey(messageId) }));
  }

  /** Deletes the in-flight record if `receipt` still holds it. False for a stale receipt. */
  ack(messageId: string, receipt: string): Promise<boolean> {
    return this.conditional(() =>
      this.dynamo.send(
        new DeleteItemCommand({ TableName: this.table, Key: msgKey(messageId), ConditionExpression: "receipt = :r", ExpressionAttributeValues: { ":r": av(receipt) } }),
      ),
    );
  }

  /**
   * Moves a lease: the message's record now holds `receipt` until `leaseUntil`. With `expectedReceipt`, only if that
   * receipt still holds it (release, extend); without, only if the record exists (a redelivery). The updated record,
   * or undefined when the condition failed.
   */
  async setLease(messageId: string, receipt: string, leaseUntil: number, expectedReceipt: string | undefined): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: msgKey(messageId),
          UpdateExpression: "SET receipt = :r, leaseUntil = :l",
          ConditionExpression: expectedReceipt === undefined ? "attribute_exists(pk)" : "receipt = :e",
          ExpressionAttributeValues: { ":r": av(receipt), ":l": av(leaseUntil), ...(expectedReceipt === undefined ? {} : { ":e": av(expectedReceipt) }) },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes;
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /** An in-flight item that used up its attempts becomes a dead letter. */
  async bury(inflight: Item, messageId: string, attempts: number, now: number): Promise<void> {
    const id = str(inflight, "itemId");
    await this.dynamo.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...deadKey(id),
          gsi2pk: { S: this.partition("dead") },
          gsi2sk: { S: `${pad(now)}#${id}` },
          itemId: av(id),
          key: inflight["key"]!,
          kind: inflight["kind"]!,
          payload: inflight["payload"]!,
          attempts: av(attempts),
          diedAt: av(now),
        },
      }),
    );
    await this.dropInflight(messageId);
  }

  /** Oldest death first (gsi2sk starts with the padded time of death). */
  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const { Items } = await this.dynamo.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI_BY_STATE,
        KeyConditionExpression: "gsi2pk = :p",
        ExpressionAttributeValues: { ":p": { S: this.partition("dead") } },
        Limit: Math.max(1, Math.floor(limit)),
      }),
    );
    return (Items ?? []).map((i) => ({ ...itemOf(i), attempts: num(i, "attempts"), diedAt: num(i, "diedAt") }));
  }

  /** Deletes a dead letter and returns it; undefined when there is none by that id. */
  async takeDead(id: string): Promise<Pick<DeadLetter, "key" | "kind" | "payload"> | undefined> {
    try {
      const { Attributes } = await this.dynamo.send(
        new DeleteItemCommand({ TableName: this.table, Key: deadKey(id), ConditionExpression: "attribute_exists(pk)", ReturnValues: "ALL_OLD" }),
      );
      return Attributes && itemOf(Attributes);
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /** Every record in one state (GSI reads: a moment behind, like SQS's own approximate counts). */
  async all(state: State): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const answer = await this.dynamo.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI_BY_STATE,
          KeyConditionExpression: "gsi2pk = :p",
          ExpressionAttributeValues: { ":p": { S: this.partition(state) } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      out.push(...(answer.Items ?? []));
      start = answer.LastEvaluatedKey;
    } while (start);
    return out;
  }

  private partition(state: State): string {
    return `QUEUE#${state}#${this.queueUrl}`;
  }

  private async get(key: Item): Promise<Item | undefined> {
    const { Item: item } = await this.dynamo.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return item;
  }

  /** Runs a conditional write: true when it was applied, false when its condition failed. */
  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }
}

/** What a lease hands the worker: the item as stored, with its attempt count and receipt. */
export function leasedOf(record: Item, attempts: number, receipt: string): LeasedItem {
  const { id, key, kind, payload } = itemOf(record);
  return { id, key, kind, payload, attempts, receiptHandle: receipt };
}

function itemOf(record: Item): Pick<DeadLetter, "id" | "key" | "kind" | "payload"> {
  return { id: str(record, "itemId"), key: str(record, "key"), kind: str(record, "kind"), payload: parseJson(record, "payload") as JsonValue | null };
}

const pendKey = (key: string): Item => ({ pk: { S: `QPEND#${key}` }, sk: { S: "ITEM" } });
const msgKey = (messageId: string): Item => ({ pk: { S: `QMSG#${messageId}` }, sk: { S: "ITEM" } });
const deadKey = (id: string): Item => ({ pk: { S: `QDEAD#${id}` }, sk: { S: "ITEM" } });
