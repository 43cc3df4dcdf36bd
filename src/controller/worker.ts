/**
 * Workers take "look at job N" items off the queue and reconcile. Several run concurrently; the queue's lease makes
 * sure one item is handled by one worker at a time, and coalescing keeps one pending look per job.
 */
import type { Logger } from "../log/logger.js";
import type { LeasedItem, Queue } from "../queue/queue.js";
import type { Reconciler } from "./reconciler.js";
import { RECONCILE, jobIdOf } from "./work-items.js";

export interface WorkerOptions {
  readonly concurrency: number;
  /** How long a received item is ours before another worker may take it (clock ms). */
  readonly visibilityTimeoutMs: number;
  /** Real milliseconds between queue polls when idle; an intake wakes workers at once. */
  readonly idlePollMs: number;
}

export class WorkerPool {
  private running = false;
  private loops: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  private inFlight = 0;

  constructor(
    private readonly queue: Queue,
    private readonly reconciler: Reconciler,
    private readonly logger: Logger,
    private readonly opts: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.opts.concurrency }, () => this.loop());
  }

  /** Stops taking new items and waits for the ones in hand to finish (SIGTERM: finish or hand back). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await Promise.all(this.loops);
  }

  wake(): void {
    for (const w of this.wakers) w();
  }

  /** Items being handled right now. */
  busy(): number {
    return this.inFlight;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let items: LeasedItem[] = [];
      try {
        items = await this.queue.receive(1, this.opts.visibilityTimeoutMs);
      } catch (e) {
        this.logger.error({ err: String(e) }, "queue receive failed");
      }
      if (items.length === 0) {
        await this.idle();
        continue;
      }
      for (const item of items) await this.handle(item);
    }
  }

  private async handle(item: LeasedItem): Promise<void> {
    this.inFlight++;
    try {
      const jobId = jobIdOf(item.payload);
      if (item.kind !== RECONCILE || jobId === undefined) {
        this.logger.error({ kind: item.kind, key: item.key }, "unknown work item dropped");
      } else {
        await this.reconciler.reconcile(jobId);
      }
      await this.queue.ack(item.receiptHandle);
    } catch (e) {
      // Handed back with a delay; after maxAttempts the queue moves it to the dead letters, where it stays visible.
      const delay = Math.min(60_000, 1_000 * 2 ** Math.min(6, item.attempts));
      this.logger.error({ key: item.key, attempts: item.attempts, err: e instanceof Error ? e.message : String(e) }, "reconcile failed");
      await this.queue.release(item.receiptHandle, delay).catch(() => undefined);
    } finally {
      this.inFlight--;
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, this.opts.idlePollMs);
      this.wakers.add(done);
    });
  }
}
