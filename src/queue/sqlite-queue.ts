import { randomUUID } from "node:crypto";
import type { Clock } from "../clock/clock.js";
import { sqliteHandleFor, type SqliteHandle, type SqliteOptions } from "../store/sqlite.js";
import {
  DEFAULT_MAX_ATTEMPTS,
  type DeadLetter,
  type EnqueueItem,
  type JsonValue,
  type LeasedItem,
  type Queue,
  type QueueDepth,
  type QueueOptions,
} from "./queue.js";

/**
 * The embedded Queue on SQLite (table queue_items, created by ../store/sqlite.ts). Visibility is a timestamp of the
 * injected Clock, so a compressed clock compresses timeouts too. Expired leases are noticed lazily, by the next
 * receive / depth / deadLetters call: no timer runs.
 *
 * Beyond the contract, receive() never leases a key that is already in flight here, so two workers of one process
 * never reconcile the same job at once (the SQS FIFO "message group" behaviour); the store's versions still guard
 * against it for backends that cannot promise this.
 */
export class SqliteQueue implements Queue {
  readonly handle: SqliteHandle;
  readonly sync: SqliteQueueSync;
  private closed = false;

  constructor(target: SqliteHandle | string, readonly clock: Clock, options: QueueOptions & SqliteOptions = {}) {
    this.handle = sqliteHandleFor(target, options);
    this.handle.retain();
    this.sync = new SqliteQueueSync(this.handle, clock, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  }

  // Resolved once on the disk, the sync shared with every other write of the process (sqlite.ts durably).
  async enqueue(item: EnqueueItem) { return this.handle.durably(() => this.sync.enqueue(item)); }
  async receive(max: number, visibilityTimeoutMs: number) { return this.sync.receive(max, visibilityTimeoutMs); }
  async ack(receipt: string) { this.sync.ack(receipt); }
  async release(receipt: string, delayMs = 0) { return this.sync.release(receipt, delayMs); }
  async extend(receipt: string, ms: number) { return this.sync.extend(receipt, ms); }
  async deadLetters(limit?: number) { return this.sync.deadLetters(limit); }
  async redrive(id: string) { return this.sync.redrive(id); }
  async depth() { return this.sync.depth(); }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handle.release();
  }
}

/** Opens a queue on a path (its own database) or on a handle shared with a store. */
export function sqliteQueue(target: SqliteHandle | string, clock: Clock, options?: QueueOptions & SqliteOptions): SqliteQueue {
  return new SqliteQueue(target, clock, options);
}

interface ItemRow {
  id: number;
  key: string;
  kind: string;
  payload: string | null;
  visible_at: number;
  receipt: string | null;
  attempts: number;
  died_at: number | null;
}

export class SqliteQueueSync {
  constructor(
    private readonly h: SqliteHandle,
    private readonly clock: Clock,
    readonly maxAttempts: number,
  ) {
    if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
      throw new RangeError(`queue maxAttempts must be a whole number of at least 1, got ${maxAttempts}`);
    }
  }

  enqueue(item: EnqueueItem): void {
    if (item.key.length === 0) throw new RangeError("queue item key must not be empty");
    const now = this.clock.now();
    const visibleAt = now + Math.max(0, item.delayMs ?? 0);
    // The conflict target names the partial unique index: one pending item per key; keep the earlier visibility.
    this.h
      .stmt(
        `INSERT INTO queue_items (key, kind, payload, visible_at, enqueued_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) WHERE receipt IS NULL AND dead = 0
         DO UPDATE SET kind = excluded.kind, payload = excluded.payload, visible_at = MIN(visible_at, excluded.visible_at)`,
      )
      .run(item.key, item.kind, item.payload === undefined ? null : JSON.stringify(item.payload), visibleAt, now);
  }

  receive(max: number, visibilityTimeoutMs: number): LeasedItem[] {
    const wanted = Math.floor(max);
    if (wanted < 1) return [];
    if (!(visibilityTimeoutMs > 0)) throw new RangeError(`visibility timeout must be positive, got ${visibilityTimeoutMs} ms`);
    // Most receives find nothing (an idle poll, a worker woken after another took the item): two index probes answer
    // that without a write transaction.
    if (!this.anythingDue(this.clock.now())) return [];
    // Leases are bookkeeping: one lost on a power cut is received again (sqlite.ts relaxed).
    return this.h.relaxed(() => this.h.tx(() => {
      const now = this.clock.now();
      this.reap(now);
      const busy = new Set(
        (this.h.stmt("SELECT key FROM queue_items WHERE receipt IS NOT NULL AND dead = 0").all() as { key: string }[]).map(
          (r) => r.key,
        ),
      );
      const leased: LeasedItem[] = [];
      let after: [number, number] = [Number.MIN_SAFE_INTEGER, 0];
      const page = this.h.stmt(
        `SELECT * FROM queue_items WHERE receipt IS NULL AND dead = 0 AND visible_at <= ? AND (visible_at, id) > (?, ?)
         ORDER BY visible_at, id LIMIT ?`,
      );
      const lease = this.h.stmt(
        "UPDATE queue_items SET receipt = ?, visible_at = ?, attempts = attempts + 1 WHERE id = ? RETURNING attempts",
      );
      // A page holds what is wanted plus the items of busy keys that may come first: most receives want one item, and
      // each row read is a table lookup, so a generous page cost more than the rest of the receive.
      const pageSize = wanted + busy.size;
      while (leased.length < wanted) {
        const rows = page.all(now, after[0], after[1], pageSize) as ItemRow[];
        if (rows.length === 0) break;
        for (const row of rows) {
          after = [row.visible_at, row.id];
          if (leased.length >= wanted) break;
          // Received maxAttempts times already (released, or its lease expired): it dies instead (SQS redrive policy).
          if (row.attempts >= this.maxAttempts) {
            this.kill(row.id, now);
            continue;
          }
          if (busy.has(row.key)) continue;
          const receipt = `${row.id}.${randomUUID()}`;
          const { attempts } = lease.get(receipt, now + visibilityTimeoutMs, row.id) as { attempts: number };
          busy.add(row.key);
          leased.push({ id: String(row.id), key: row.key, kind: row.kind, payload: parsePayload(row.payload), attempts, receiptHandle: receipt });
        }
      }
      return leased;
    }));
  }

  ack(receipt: string): void {
    const id = receiptId(receipt);
    // A lost ack means one more look at the job, which reconcile makes harmless.
    if (id !== undefined) this.h.relaxed(() => this.h.stmt("DELETE FROM queue_items WHERE id = ? AND receipt = ?").run(id, receipt));
  }

  release(receipt: string, delayMs: number): boolean {
    const id = receiptId(receipt);
    if (id === undefined) return false;
    // Lost on a power cut, the lease simply expires and the item comes back.
    return this.h.relaxed(() => this.h.tx(() => {
      const row = this.h.stmt("SELECT * FROM queue_items WHERE id = ? AND receipt = ? AND dead = 0").get(id, receipt) as
        | ItemRow
        | undefined;
      if (!row) return false;
      this.unlease(row, this.clock.now() + Math.max(0, delayMs));
      return true;
    }));
  }

  extend(receipt: string, ms: number): boolean {
    const id = receiptId(receipt);
    if (id === undefined) return false;
    const result = this.h
      .stmt("UPDATE queue_items SET visible_at = ? WHERE id = ? AND receipt = ? AND dead = 0")
      .run(this.clock.now() + Math.max(0, ms), id, receipt);
    return result.changes === 1;
  }

  deadLetters(limit = 100): DeadLetter[] {
    return this.h.tx(() => {
      this.reap(this.clock.now());
      const rows = this.h
        .stmt("SELECT * FROM queue_items WHERE dead = 1 ORDER BY died_at, id LIMIT ?")
        .all(Math.max(1, Math.floor(limit))) as ItemRow[];
      return rows.map((row) => ({
        id: String(row.id),
        key: row.key,
        kind: row.kind,
        payload: parsePayload(row.payload),
        attempts: row.attempts,
        diedAt: row.died_at ?? 0,
      }));
    });
  }

  redrive(id: string): boolean {
    const numeric = Number(id);
    if (!Number.isSafeInteger(numeric)) return false;
    return this.h.tx(() => {
      const row = this.h.stmt("SELECT * FROM queue_items WHERE id = ? AND dead = 1").get(numeric) as ItemRow | undefined;
      if (!row) return false;
      const now = this.clock.now();
      const pending = this.pendingFor(row.key);
      if (pending) {
        // A pending item for the key already covers it; make it visible now.
        this.h.stmt("UPDATE queue_items SET visible_at = MIN(visible_at, ?) WHERE id = ?").run(now, pending.id);
        this.h.stmt("DELETE FROM queue_items WHERE id = ?").run(row.id);
      } else {
        this.h
          .stmt("UPDATE queue_items SET dead = 0, died_at = NULL, receipt = NULL, attempts = 0, visible_at = ? WHERE id = ?")
          .run(now, row.id);
      }
      return true;
    });
  }

  depth(): QueueDepth {
    return this.h.tx(() => {
      this.reap(this.clock.now());
      const row = this.h
        .stmt(
          `SELECT COALESCE(SUM(dead = 0 AND receipt IS NULL), 0) AS pending,
                  COALESCE(SUM(dead = 0 AND receipt IS NOT NULL), 0) AS inFlight,
                  COALESCE(SUM(dead = 1), 0) AS dead
           FROM queue_items`,
        )
        .get() as QueueDepth;
      return { pending: row.pending, inFlight: row.inFlight, dead: row.dead };
    });
  }

  /** Whether an item is visible or a lease has expired at `now` (through the partial indexes queue_ready, queue_leased). */
  private anythingDue(now: number): boolean {
    const row = this.h
      .stmt(
        `SELECT EXISTS (SELECT 1 FROM queue_items WHERE receipt IS NULL AND dead = 0 AND visible_at <= ?)
             OR EXISTS (SELECT 1 FROM queue_items WHERE receipt IS NOT NULL AND dead = 0 AND visible_at <= ?) AS due`,
      )
      .get(now, now) as { due: number };
    return row.due === 1;
  }

  /** Leases that expired become pending again (merged into a pending item of the same key), or die. */
  private reap(now: number): void {
    const expired = this.h
      .stmt("SELECT * FROM queue_items WHERE receipt IS NOT NULL AND dead = 0 AND visible_at <= ?")
      .all(now) as ItemRow[];
    for (const row of expired) {
      if (row.attempts >= this.maxAttempts) this.kill(row.id, now);
      else this.unlease(row, row.visible_at);
    }
  }

  /** Back to pending at `visibleAt`, keeping one pending item per key (the earlier visibility, the higher attempts). */
  private unlease(row: ItemRow, visibleAt: number): void {
    const pending = this.pendingFor(row.key);
    if (pending) {
      this.h
        .stmt("UPDATE queue_items SET visible_at = MIN(visible_at, ?), attempts = MAX(attempts, ?) WHERE id = ?")
        .run(visibleAt, row.attempts, pending.id);
      this.h.stmt("DELETE FROM queue_items WHERE id = ?").run(row.id);
    } else {
      this.h.stmt("UPDATE queue_items SET receipt = NULL, visible_at = ? WHERE id = ?").run(visibleAt, row.id);
    }
  }

  private pendingFor(key: string): ItemRow | undefined {
    return this.h.stmt("SELECT * FROM queue_items WHERE key = ? AND receipt IS NULL AND dead = 0").get(key) as
      | ItemRow
      | undefined;
  }

  private kill(id: number, now: number): void {
    this.h.stmt("UPDATE queue_items SET dead = 1, receipt = NULL, died_at = ? WHERE id = ?").run(now, id);
  }
}

function receiptId(receipt: string): number | undefined {
  const id = Number(receipt.slice(0, receipt.indexOf(".")));
  return receipt.includes(".") && Number.isSafeInteger(id) ? id : undefined;
}

function parsePayload(text: string | null): JsonValue | null {
  return text === null ? null : (JSON.parse(text) as JsonValue);
}
