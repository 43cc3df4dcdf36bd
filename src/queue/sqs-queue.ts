import { randomUUID } from "node:crypto";
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Clock } from "../clock/clock.js";
import { num, str } from "../store/dynamodb-items.js";
import { DEFAULT_MAX_ATTEMPTS, type DeadLetter, type EnqueueItem, type LeasedItem, type Queue, type QueueDepth } from "./queue.js";
import { leasedOf, QueueRecords } from "./sqs-queue-records.js";
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
 * SQS stores wake-ups, DynamoDB stores the items (sqs-queue-records.ts):
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
  private readonly records: QueueRecords;

  constructor(options: SqsQueueOptions) {
    this.o = options;
    this.records = new QueueRecords(options.dynamo, options.table, options.queueUrl);
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!(Number.isInteger(this.maxAttempts) && this.maxAttempts >= 1)) {
      throw new RangeError(`queue maxAttempts must be a whole number of at least 1, got ${this.maxAttempts}`);
    }
  }

  async enqueue(item: EnqueueItem): Promise<void> {
    if (item.key.length === 0) throw new RangeError("queue item key must not be empty");
    const delayMs = Math.max(0, item.delayMs ?? 0);
    for (let tries = 0; ; tries++) {
      const at = this.o.clock.now() + delayMs;
      const pending = await this.records.pending(item.key);
      const covered = pending !== undefined && num(pending, "visibleAt") <= at;
      if (!covered) await this.send(item.key, at, delayMs);
      const written =
        pending === undefined
          ? await this.records.putPending(item, at, randomUUID(), undefined)
          : await this.records.putPending(item, Math.min(num(pending, "visibleAt"), at), str(pending, "itemId"), num(pending, "version"));
      if (written) return;
      // Another enqueue or a claim moved the record since we read it: read again.
      if (tries >= 20) throw new Error(`queue key ${item.key}: its pending item kept changing while being enqueued; try again`);
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
    if (!r || !(await this.records.ack(r.messageId, receipt))) return;
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: r.handle }));
  }

  async release(receipt: string, delayMs = 0): Promise<boolean> {
    return this.hide(receipt, Math.max(0, delayMs), 0);
  }

  async extend(receipt: string, ms: number): Promise<boolean> {
    return this.hide(receipt, Math.max(0, ms), 1);
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.records.deadLetters(limit);
  }

  async redrive(id: string): Promise<boolean> {
    const dead = await this.records.takeDead(id);
    if (!dead) return false;
    await this.enqueue({ key: dead.key, kind: dead.kind, ...(dead.payload === null ? {} : { payload: dead.payload }) });
    return true;
  }

  /** Counted from DynamoDB (GSI reads: a moment behind, like SQS's own approximate counts). */
  async depth(): Promise<QueueDepth> {
    const now = this.o.clock.now();
    const inflight = await this.records.all("inflight");
    const expired = inflight.filter((i) => num(i, "leaseUntil") <= now).length;
    return {
      pending: (await this.records.all("pending")).length + expired,
      inFlight: inflight.length - expired,
      dead: (await this.records.all("dead")).length,
    };
  }

  async close(): Promise<void> {
    // The clients are the caller's (shared with the store).
  }

  private async claimOne(m: SqsMessage, visibilityTimeoutMs: number): Promise<Claimed> {
    const now = this.o.clock.now();
    const receipt = `${m.messageId} ${m.receiptHandle}`;
    const inflight = await this.records.inflight(m.messageId);
    if (inflight) {
      // A redelivery: the lease of whoever had it ran out.
      const attempts = m.receiveCount - num(inflight, "claimedAt") + 1;
      if (attempts > this.maxAttempts) {
        await this.records.bury(inflight, m.messageId, attempts - 1, now);
        return this.drop(m);
      }
      const updated = await this.records.setLease(m.messageId, receipt, now + visibilityTimeoutMs, undefined);
      if (!updated) return this.drop(m);
      return { kind: "leased", item: leasedOf(updated, attempts, receipt), at: num(updated, "visibleAt") };
    }
    const body = parseBody(m.body);
    if (!body) return this.drop(m);
    for (let tries = 0; tries < 20; tries++) {
      const pending = await this.records.pending(body.key);
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
      const claimed = await this.records.claim(pending, m.messageId, m.receiveCount, receipt, now + visibilityTimeoutMs);
      if (claimed) return { kind: "leased", item: leasedOf(claimed, 1, receipt), at: visibleAt };
      // Updated (newer payload: take it) or taken by another message (then ours is stale).
      const now2 = await this.records.pending(body.key);
      if (!now2 || str(now2, "itemId") !== str(pending, "itemId")) {
        await this.records.dropInflight(m.messageId);
        return this.drop(m);
      }
    }
    throw new Error(`queue key ${body.key}: its pending item kept changing while being received; it will be received again`);
  }

  private async drop(m: SqsMessage): Promise<Claimed> {
    await this.o.sqs.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.receiptHandle }));
    return { kind: "dropped" };
  }

  /** Release (visible after ms) or extend (kept ms more): the lease record first, so a stale receipt changes nothing. */
  private async hide(receipt: string, ms: number, minSeconds: number): Promise<boolean> {
    const r = parseReceipt(receipt);
    if (!r) return false;
    if (!(await this.records.setLease(r.messageId, receipt, this.o.clock.now() + ms, receipt))) return false;
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
}

export function sqsQueue(options: SqsQueueOptions): SqsQueue {
  return new SqsQueue(options);
}

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
