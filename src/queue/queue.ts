/**
 * The Queue port: work items such as "reconcile job 42", leased with a visibility timeout.
 *
 * Implementations: SQLite (embedded, sqlite-queue.ts) and later SQS. All pass queue.contract.ts. The semantics follow
 * SQS where SQS has an opinion (Amazon SQS Developer Guide: "Amazon SQS visibility timeout", "Using dead-letter
 * queues", DeleteMessage's "most recently received receipt handle"), so the scale-out backend is the same code:
 * - at-least-once: an item leased and not acked before its timeout is received again, with `attempts` counting;
 * - an item received `maxAttempts` times and still not acked (its lease expired, or it was released) goes to the dead
 *   letters instead of being received again; redrive() puts it back;
 * - a stale receipt (the item was received again since) cannot ack or release it.
 * Beyond SQS, enqueue coalesces by `key` (what keeps a burst of webhooks for one job to one reconcile).
 *
 * To wait without spending attempts (e.g. "no capacity, look again in 30 s"), ack and enqueue with `delayMs`;
 * release() is for handing back work this worker could not finish, and counts toward maxAttempts.
 */
export interface Queue {
  /**
   * Adds an item, visible after `delayMs`. Coalescing: at most one pending (not in flight) item per key — enqueueing
   * a key that is already pending keeps one item, with the earlier of the two visibility times and the newer kind and
   * payload. A key that is only in flight gets a new pending item (the change must be looked at again).
   */
  enqueue(item: EnqueueItem): Promise<void>;
  /** Leases up to `max` visible items, earliest visibility first, each for `visibilityTimeoutMs`. */
  receive(max: number, visibilityTimeoutMs: number): Promise<LeasedItem[]>;
  /** Done: removes the item. A stale receipt does nothing (as SQS DeleteMessage). */
  ack(receipt: string): Promise<void>;
  /** Hands the item back, visible again after `delayMs` (default 0). False when the lease was lost. */
  release(receipt: string, delayMs?: number): Promise<boolean>;
  /** Keeps the lease for `ms` from now (SQS ChangeMessageVisibility). False when the lease was lost. */
  extend(receipt: string, ms: number): Promise<boolean>;
  /** Items that exhausted maxAttempts, oldest death first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Puts a dead item back as pending, visible now, with attempts reset. False when no such dead item. */
  redrive(id: string): Promise<boolean>;
  depth(): Promise<QueueDepth>;
  close(): Promise<void>;
}

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface EnqueueItem {
  /** What the item is about, e.g. "job:42": the unit of coalescing. */
  readonly key: string;
  /** What to do, e.g. "reconcile". */
  readonly kind: string;
  readonly payload?: JsonValue;
  readonly delayMs?: number;
}

export interface LeasedItem {
  readonly id: string;
  readonly key: string;
  readonly kind: string;
  readonly payload: JsonValue | null;
  /** How many times this item has been received, this time included. */
  readonly attempts: number;
  readonly receiptHandle: string;
}

export interface DeadLetter {
  readonly id: string;
  readonly key: string;
  readonly kind: string;
  readonly payload: JsonValue | null;
  readonly attempts: number;
  readonly diedAt: number;
}

export interface QueueDepth {
  /** Waiting to be received, visible or delayed. */
  readonly pending: number;
  /** Leased and not yet acked, released or expired. */
  readonly inFlight: number;
  readonly dead: number;
}

export interface QueueOptions {
  /** Receives after which an unacked item goes to the dead letters. Default 5. */
  readonly maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
