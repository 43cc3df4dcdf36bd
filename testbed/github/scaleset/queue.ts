/**
 * One scale set's message queue. Job messages wait here until a poll packs them, at most `maxBatch` at a time, into a
 * RunnerScaleSetJobMessages message with a fresh id; that message then stays until the listener deletes it
 * (session_client.go: "Unless a message is deleted after being processed (using DeleteMessage), it will be returned
 * again in subsequent calls"). A poll gets the oldest undeleted message whose id is above its `lastMessageId`, so a
 * listener that restarts from 0 is handed again everything it never deleted.
 */
import type { Clock } from "../../../src/clock/clock.js";
import type { JobMessage } from "./wire.js";

export interface QueuedMessage {
  id: number;
  messages: JobMessage[];
  /** How many times a poll has been handed this message (more than 1 = redelivered). */
  deliveries: number;
}

export class MessageQueue {
  private pending: JobMessage[] = [];
  private readonly undeleted: QueuedMessage[] = [];
  private readonly deleted = new Set<number>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly nextId: () => number,
    private readonly maxBatch: () => number,
  ) {}

  push(message: JobMessage): void {
    this.pending.push(message);
    this.wakeAll();
  }

  /** The message for a poll that has processed everything up to `lastMessageId`, or null when there is none now. */
  take(lastMessageId: number): QueuedMessage | null {
    let m = this.undeleted.find((u) => u.id > lastMessageId);
    if (!m && this.pending.length > 0) {
      m = { id: this.nextId(), messages: this.pending.splice(0, Math.max(1, this.maxBatch())), deliveries: 0 };
      this.undeleted.push(m);
    }
    if (m) m.deliveries++;
    return m ?? null;
  }

  /**
   * Long poll: a message now, or as soon as one is pushed within `waitMs` of clock time; null when none came or
   * `stop` fired (the client left, or the session ended).
   */
  async poll(lastMessageId: number, waitMs: number, clock: Clock, stop: AbortSignal): Promise<QueuedMessage | null> {
    const deadline = clock.now() + waitMs;
    for (;;) {
      const m = this.take(lastMessageId);
      if (m) return m;
      const left = deadline - clock.now();
      if (left <= 0 || stop.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          clock.clearTimeout(timer);
          this.waiters.delete(done);
          stop.removeEventListener("abort", done);
          resolve();
        };
        const timer = clock.setTimeout(done, left);
        this.waiters.add(done);
        stop.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** "deleted" (now or before: deleting is idempotent, so a retried DELETE succeeds) or "unknown" (never issued). */
  delete(id: number): "deleted" | "unknown" {
    const i = this.undeleted.findIndex((m) => m.id === id);
    if (i >= 0) {
      this.undeleted.splice(i, 1);
      this.deleted.add(id);
      return "deleted";
    }
    return this.deleted.has(id) ? "deleted" : "unknown";
  }

  view(): { pending: number; undeleted: { id: number; messageTypes: string[]; deliveries: number }[] } {
    return {
      pending: this.pending.length,
      undeleted: this.undeleted.map((m) => ({ id: m.id, messageTypes: m.messages.map((j) => j.messageType), deliveries: m.deliveries })),
    };
  }

  /** Ends every poll being held (the scale set is gone, or the sim closes). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }
}
