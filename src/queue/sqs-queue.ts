import { randomUUID } from "node:crypto";
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Clock } from "../clock/clock.js";
import { av, json, num, parseJson, str, type Item } from "../store/dynamodb-items.js";
import { isConditionFailed } from "../store/dynamodb-store.js";
import { GSI_BY_STATE, pad } from "../store/dynamodb-table.js";
import { DEFAULT_MAX_ATTEMPTS, type DeadLetter, type EnqueueItem, type JsonValue, type LeasedItem, type Queue, type QueueDepth } from "./queue.js";
import { secondsOf, SQS_MAX_DELAY_S, SQS_MAX_VISIBILITY_S } from "./sqs-time.js";

export interface SqsQueueOptions {
  readonly sqs: SQSClient;
  /** A standard queue. No redrive policy is needed (dead letters are kept in DynamoDB); if one is set, make its
   * maxReceiveCount generous, since messages waiting past SQS's 15-minute delay limit are received more than once. */
  readonly queueUrl: string;
  readonly dynamo: DynamoDBClient;
  /** tornade's table (store/dynamodb-table.ts), shared with the DynamoDbStore. */
  readonly table: string;
  readonly clock: Clock;
  readonly maxAttempts?: number;
  /** ReceiveMessage long polling (0–20 s). 0 answers at once (tests); replicas polling an idle queue want ~10. */
  readonly waitTimeSeconds?: number;
}

/** One SQS message as ReceiveMessage or a Lambda SQS event gives it. */
export interface SqsMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
}

export type ClaimOutcome =
  | { readonly kind: "leased"; readonly item: LeasedItem }
  /** Stale (its key's item was taken by another message) or dead: deleted; a Lambda reports it done. */
  | { readonly kind: "dropped" }
  /** Not due yet (a delay longer than SQS allows): its visibility was moved; a Lambda must report it failed. */
  | { readonly kind: "deferred" };

/** A claim plus the item's visibility time, by which receive() orders what it got. */
type Claimed = Exclude<ClaimOutcome, { kind: "leased" }> | { readonly kind: "leased"; readonly item: LeasedItem; readonly at: number };

/**
 * The Queue port on SQS, with the coalescing SQS lacks kept in DynamoDB.
 *
 * SQS stores wake-ups, DynamoDB stores the items:
 * - `QPEND#<key>` is the one pending item of a key (kind, newest payload, visibleAt, a version). enqueue() creates it
 *   with a conditional put or updates it under its version; it sends an SQS message `{key, at}` only when no earlier
 *   message can already be on its way: every write that sets visibleAt to t is preceded by a message due at t, so a
 *   pending item always has a message that arrives when it is due. Sending first means a crash leaves at worst a
 *   message with no item (dropped when received), never an item no message will wake.
 * - Receiving a message claims the pending item: it becomes `QMSG#<sqs message id>` (in flight, with the receipt
 *   handle and lease) and the pending record is deleted under its version; of two messages racing for one item, one
 *   wins and the other is deleted. A message whose key has no due item is stale and deleted.
 * - Redelivery of an in-flight message (its visibility timed out) finds its QMSG record: attempts count SQS's
 *   ApproximateReceiveCount from the claim. Past maxAttempts the item moves to `QDEAD#<id>` and the message is
 *   deleted: dead letters are listable and redrivable, which SQS's own DLQ is not without receiving them.
 * - A receipt handle is ours only while its QMSG record holds it, so a stale receipt cannot ack, release or extend.
 *
 * Time: visibility and delays go to SQS in whole real seconds (clock ms / clock speed, rounded up; SQS's unit), so
 * this queue resolves one second; delays beyond SQS's 15 minutes are reached by re-hiding the message when it comes
 * early. Order: SQS standard queues do not order; each receive sorts what it got by visibility time.
 */
export class SqsQueue implements Queue {
  readonly maxAttempts: number;
  private readonly o: SqsQueueOptions;

  constructor(options: SqsQueueOptions) {
    this.o = options;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!(Number.isInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new RangeError(`queue maxAttempts must be a whole number of at least 1, got ${this.maxAttempts}`);
    }
  }

  async enqueue(item: EnqueueItem): Promise<void> {
    if (item.key.length === 0) throw new RangeError("queue item key must not be empty");
    const delayMs = Math.max(0, item.delayMs ?? 0);
    for (let tries = 0; ; tries++) {
      const now = this.o.clock.now();
      const at = now + delayMs;
      const pending = await this.get(pendKey(item.key));
      const covered = pending !== undefined && num(pending, "visibleAt") <= at;
      if (!covered) await this.send(item.key, at, delayMs);
      try {
        if (pending === undefined) {
          await this.o.dynamo.send(
            new PutItemCommand({
              TableName: this.o.table,
              Item: this.pendingItem(item, at, randomUUID(), 1),
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
        } else {
          const version = num(pending, "version");
          const visibleAt = Math.min(num(pending, "visibleAt"), at);
          await this.o.dynamo.send(
            new PutItemCommand({
              TableName: this.o.table,
              Item: this.pendingItem(item, visibleAt, str(pending, "itemId"), version + 1),
              ConditionExpression: "version = :v",
              ExpressionAttributeValues: { ":v": av(version) },
            }),
          );
        }
        return;
      } catch (e) {
        // Another enqueue or a claim moved the record since we read it: read again.
        if (!isConditionFailed(e) || tries >= 20) throw e;
      }
    }
  }

  async receive(max: number, visibilityTimeoutMs: number): Promise<LeasedItem[]> {
    const wanted = Math.floor(max);
    if (wanted < 1) return [];
    if (!(visibilityTimeoutMs > 0)) throw new RangeError(`visibility timeout must be positive, got ${visibilityTimeoutMs} ms`);
    const leased: { at: number; item: LeasedItem }[] = [];
    for (let polls = 0; leased.length < wanted && polls < 10; polls++) {
      const { Messages } = await this.o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.o.queueUrl,
          MaxNumberOfMessages: Math.min(10, wanted - leased.length),
          VisibilityTimeout: this.seconds(visibilityTimeoutMs, SQS_MAX_VISIBILITY_S, 1),
          WaitTimeSeconds: polls === 0 ? (this.o.waitTimeSeconds ?? 0) : 0,
          MessageSystemAttributeNames: ["ApproximateReceiveCount"],
        }),
      );
      if (!Messages?.length) break;
      for (const m of Messages) {
        const outcome = await this.claimOne(
          { messageId: m.MessageId ?? "", receiptHandle: m.ReceiptHandle ?? "", body: m.Body ?? "", receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1) },
          visibilityTimeoutMs,
        );
        if (outcome.kind === "leased") leased.push({ at: outcome.at, item: outcome.item });
      }
    }
    return leased.sort((a, b) => a.at - b.at).map((l) => l.item);
  }

  /**
   * The receive path for messages SQS handed to someone else: a Lambda event source mapping receives them and gives
   * the function `Records`. `visibilityTimeoutMs` is the queue's visibility timeout (the lease they came with).
   */
  async claim(messages: readonly SqsMessage[], visibilityTimeoutMs: number): Promise<ClaimOutcome[]> {
    const out: ClaimOutcome[] = [];
    for (const m of messages) {
      const outcome = await this.claimOne(m, visibilityTimeoutMs);
      out.push(outcome.kind === "leased" ? { kind: "leased", item: outcome.item } : outcome);
    }
    return out;
  }

  async ack(receipt: string): Promise<void> {
    const r = parseReceipt(receipt);
    if (!r) return;
    try {
      await this.o.dynamo.send(
        new DeleteItemCommand({ TableName: this.o.table, Key: msgKey(r.messageId), ConditionExpression: "receipt = :r", ExpressionAttributeValues: { ":r": av(receipt) } }),
      );
    } catch (e) {
      if (isConditionFailed(e)) return;
      throw e;
    }
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: r.handle }));
  }

  async release(receipt: string, delayMs = 0): Promise<boolean> {
    return this.hide(receipt, Math.max(0, delayMs), 0);
  }

  async extend(receipt: string, ms: number): Promise<boolean> {
    return this.hide(receipt, Math.max(0, ms), 1);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const { Items } = await this.o.dynamo.send(
      new QueryCommand({
        TableName: this.o.table,
        IndexName: GSI_BY_STATE,
        KeyConditionExpression: "gsi2pk = :p",
        ExpressionAttributeValues: { ":p": { S: this.partition("dead") } },
        Limit: Math.max(1, Math.floor(limit)),
      }),
    );
    return (Items ?? []).map((i) => ({
      id: str(i, "itemId"),
      key: str(i, "key"),
      kind: str(i, "kind"),
      payload: parseJson(i, "payload") as JsonValue | null,
      attempts: num(i, "attempts"),
      diedAt: num(i, "diedAt"),
    }));
  }

  async redrive(id: string): Promise<boolean> {
    let old: Item | undefined;
    try {
      ({ Attributes: old } = await this.o.dynamo.send(
        new DeleteItemCommand({ TableName: this.o.table, Key: deadKey(id), ConditionExpression: "attribute_exists(pk)", ReturnValues: "ALL_OLD" }),
      ));
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
    if (!old) return false;
    const payload = parseJson(old, "payload") as JsonValue | null;
    await this.enqueue({ key: str(old, "key"), kind: str(old, "kind"), ...(payload === null ? {} : { payload }) });
    return true;
  }

  /** Counted from DynamoDB (GSI reads: a moment behind, like SQS's own approximate counts). */
  async depth(): Promise<QueueDepth> {
    const now = this.o.clock.now();
    const inflight = await this.queryPartition("inflight");
    const expired = inflight.filter((i) => num(i, "leaseUntil") <= now).length;
    return {
      pending: (await this.queryPartition("pending")).length + expired,
      inFlight: inflight.length - expired,
      dead: (await this.queryPartition("dead")).length,
    };
  }

  async close(): Promise<void> {
    // The clients are the caller's (shared with the store).
  }

  private async claimOne(m: SqsMessage, visibilityTimeoutMs: number): Promise<Claimed> {
    const now = this.o.clock.now();
    const receipt = `${m.messageId} ${m.receiptHandle}`;
    const inflight = await this.get(msgKey(m.messageId));
    if (inflight) {
      // A redelivery: the lease of whoever had it ran out.
      const attempts = m.receiveCount - num(inflight, "claimedAt") + 1;
      if (attempts > this.maxAttempts) return this.kill(inflight, m, attempts - 1, now);
      const updated = await this.setLease(m.messageId, receipt, now + visibilityTimeoutMs, undefined);
      if (!updated) return this.drop(m);
      return { kind: "leased", item: leasedOf(updated, attempts, receipt), at: num(updated, "visibleAt") };
    }
    const body = parseBody(m.body);
    if (!body) return this.drop(m);
    for (let tries = 0; tries < 20; tries++) {
      const pending = await this.get(pendKey(body.key));
      if (!pending) return this.drop(m);
      const visibleAt = num(pending, "visibleAt");
      if (visibleAt > now) {
        // Meant for an earlier item of this key (already taken): stale. Meant for this one: SQS's 15-minute delay
        // limit made it early; hide it until the item is due (receives spent here do not count as attempts).
        if (body.at < visibleAt) return this.drop(m);
        await this.o.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.receiptHandle, VisibilityTimeout: this.seconds(visibleAt - now, SQS_MAX_VISIBILITY_S, 1) }),
        );
        return { kind: "deferred" };
      }
      const record: Item = {
        ...msgKey(m.messageId),
        gsi2pk: { S: this.partition("inflight") },
        gsi2sk: { S: m.messageId },
        itemId: pending["itemId"]!,
        key: pending["key"]!,
        kind: pending["kind"]!,
        payload: pending["payload"]!,
        visibleAt: pending["visibleAt"]!,
        claimedAt: av(m.receiveCount),
        receipt: av(receipt),
        leaseUntil: av(now + visibilityTimeoutMs),
      };
      await this.o.dynamo.send(new PutItemCommand({ TableName: this.o.table, Item: record }));
      try {
        await this.o.dynamo.send(
          new DeleteItemCommand({ TableName: this.o.table, Key: pendKey(body.key), ConditionExpression: "version = :v", ExpressionAttributeValues: { ":v": pending["version"]! } }),
        );
        return { kind: "leased", item: leasedOf(record, 1, receipt), at: visibleAt };
      } catch (e) {
        if (!isConditionFailed(e)) throw e;
        // Updated (newer payload: take it) or taken by another message (then ours is stale).
        const now2 = await this.get(pendKey(body.key));
        if (!now2 || str(now2, "itemId") !== str(pending, "itemId")) {
          await this.o.dynamo.send(new DeleteItemCommand({ TableName: this.o.table, Key: msgKey(m.messageId) }));
          return this.drop(m);
        }
      }
    }
    throw new Error(`queue key ${body.key}: its pending item kept changing while being received; it will be received again`);
  }

  private async kill(inflight: Item, m: SqsMessage, attempts: number, now: number): Promise<Claimed> {
    const id = str(inflight, "itemId");
    await this.o.dynamo.send(
      new PutItemCommand({
        TableName: this.o.table,
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
    await this.o.dynamo.send(new DeleteItemCommand({ TableName: this.o.table, Key: msgKey(m.messageId) }));
    return this.drop(m);
  }

  private async drop(m: SqsMessage): Promise<Claimed> {
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.receiptHandle }));
    return { kind: "dropped" };
  }

  /** Release (visible after ms) or extend (kept ms more): the lease record first, so a stale receipt changes nothing. */
  private async hide(receipt: string, ms: number, minSeconds: number): Promise<boolean> {
    const r = parseReceipt(receipt);
    if (!r) return false;
    if (!(await this.setLease(r.messageId, receipt, this.o.clock.now() + ms, receipt))) return false;
    try {
      await this.o.sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: r.handle, VisibilityTimeout: this.seconds(ms, SQS_MAX_VISIBILITY_S, minSeconds) }),
      );
      return true;
    } catch (e) {
      // SQS says the message is no longer in flight under this handle: the lease is gone.
      if (e instanceof Error && /NotInflight|ReceiptHandleIsInvalid/i.test(e.name)) return false;
      throw e;
    }
  }

  private async setLease(messageId: string, receipt: string, leaseUntil: number, expectedReceipt: string | undefined): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.o.dynamo.send(
        new UpdateItemCommand({
          TableName: this.o.table,
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

  private async send(key: string, at: number, delayMs: number): Promise<void> {
    await this.o.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.o.queueUrl,
        MessageBody: JSON.stringify({ key, at }),
        DelaySeconds: this.seconds(delayMs, SQS_MAX_DELAY_S, 0),
      }),
    );
  }

  private seconds(clockMs: number, cap: number, min: number): number {
    return secondsOf(clockMs, this.o.clock.speed, min, cap);
  }

  /** Queue records of this queue only, so two queues can share a table. */
  private partition(state: "pending" | "inflight" | "dead"): string {
    return `QUEUE#${state}#${this.o.queueUrl}`;
  }

  private async queryPartition(state: "pending" | "inflight" | "dead"): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const answer = await this.o.dynamo.send(
        new QueryCommand({
          TableName: this.o.table,
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

  private async get(key: Item): Promise<Item | undefined> {
    const { Item: item } = await this.o.dynamo.send(new GetItemCommand({ TableName: this.o.table, Key: key, ConsistentRead: true }));
    return item;
  }

  /** A key's pending record; it carries its partition in gsi2 for depth(). */
  private pendingItem(item: EnqueueItem, visibleAt: number, itemId: string, version: number): Item {
    return {
      ...pendKey(item.key),
      gsi2pk: { S: this.partition("pending") },
      gsi2sk: { S: item.key },
      itemId: av(itemId),
      key: av(item.key),
      kind: av(item.kind),
      payload: json(item.payload ?? null),
      visibleAt: av(visibleAt),
      version: av(version),
    };
  }
}

export function sqsQueue(options: SqsQueueOptions): SqsQueue {
  return new SqsQueue(options);
}

const pendKey = (key: string): Item => ({ pk: { S: `QPEND#${key}` }, sk: { S: "ITEM" } });
const msgKey = (messageId: string): Item => ({ pk: { S: `QMSG#${messageId}` }, sk: { S: "ITEM" } });
const deadKey = (id: string): Item => ({ pk: { S: `QDEAD#${id}` }, sk: { S: "ITEM" } });

function parseReceipt(receipt: string): { messageId: string; handle: string } | undefined {
  const space = receipt.indexOf(" ");
  return space > 0 ? { messageId: receipt.slice(0, space), handle: receipt.slice(space + 1) } : undefined;
}

function parseBody(body: string): { key: string; at: number } | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === "object" && v !== null) {
      const { key, at } = v as { key?: unknown; at?: unknown };
      if (typeof key === "string" && typeof at === "number") return { key, at };
    }
  } catch {
    // Not one of ours: dropped below.
  }
  return undefined;
}

function leasedOf(record: Item, attempts: number, receipt: string): LeasedItem {
  return {
    id: str(record, "itemId"),
    key: str(record, "key"),
    kind: str(record, "kind"),
    payload: parseJson(record, "payload") as JsonValue | null,
    attempts,
    receiptHandle: receipt,
  };
}
