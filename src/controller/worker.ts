/**
 * Workers take "look at job N" items off the queue and reconcile. Several run concurrently; the queue's lease makes
 * sure one item is handled by one worker at a time, and coalescing keeps one pending look per job.
 *
 * Idle workers wait in a line. A wake (something was enqueued) sends one of them to the queue, not all: each receive is
 * a transaction, and a herd of four for one item cost more than the item's reconcile. A worker that got an item wakes
 * the next, so a backlog still fans out to every worker. One timer polls for what nobody woke the workers for (items
 * enqueued by the tracker's round, leases expired), one idle worker at a time.
 */
import type { Clock, ClockTimer } from "../clock/clock.js";
import type { Logger } from "../log/logger.js";
import type { LeasedItem, Queue } from "../queue/queue.js";
import type { Reconciler } from "./reconciler.js";
import { RECONCILE, TAKEN, jobIdOf, takingOf } from "./work-items.js";

export interface WorkerOptions {
  readonly concurrency: number;
  /** How long a received item is ours before another worker may take it (clock ms). */
  readonly visibilityTimeoutMs: number;
  /** Real milliseconds between queue polls when idle; an intake wakes workers at once, and so does wakeAfter. */
  readonly idlePollMs: number;
  /** The clock delayed items become visible by (wakeAfter's timers run on it). */
  readonly clock: Clock;
}

/** wakeAfter's timers are shared per this much clock time: a burst of retries due together arms one timer. */
const WAKE_GRAIN_MS = 100;

export class WorkerPool {
  private running = false;
  private loops: Promise<void>[] = [];
  /** Idle workers, the longest waiting first. */
  private waiters: (() => void)[] = [];
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  /** How many wakes there have been: a wake while a worker was asking the queue must not be lost to its idle wait. */
  private wakes = 0;
  private inFlight = 0;
  /** wakeAfter's timers by the clock time they are due. */
  private readonly timers = new Map<number, ClockTimer>();

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
    for (const t of this.timers.values()) this.opts.clock.clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(this.loops);
  }

  /** Sends one idle worker to the queue (a worker asking the queue right now asks again instead of idling). */
  wake(): void {
    this.wakes++;
    this.waiters.shift()?.();
  }

  /**
   * Wakes the workers when an item enqueued now with a delay of `ms` (clock) becomes visible, rather than at the next
   * idle poll. The poll is in real time, which a scaled clock (the sandbox, the benchmarks) stretches: at 300× a
   * 250 ms poll is 75 simulated seconds, longer than a job held by the launch gate may stay silent and keep its place
   * (launch-gate.ts WAITER_TTL_MS).
   */
  wakeAfter(ms: number): void {
    const { clock } = this.opts;
    const due = Math.ceil((clock.now() + ms) / WAKE_GRAIN_MS) * WAKE_GRAIN_MS;
    if (!this.running || this.timers.has(due)) return;
    const fire = () => {
      // Real timers have a millisecond's grain, which a scaled clock makes coarser: one that fires before the item is
      // visible waits out the rest, or the workers would find nothing and sleep a whole idle poll.
      const left = due - clock.now();
      if (left > 0) return void this.timers.set(due, clock.setTimeout(fire, left));
      this.timers.delete(due);
      this.wake();
    };
    this.timers.set(due, clock.setTimeout(fire, due - clock.now()));
  }

  /** Items being handled right now. */
  busy(): number {
    return this.inFlight;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let items: LeasedItem[] = [];
      const wakes = this.wakes;
      try {
        items = await this.queue.receive(1, this.opts.visibilityTimeoutMs);
      } catch (e) {
        this.logger.error({ err: String(e) }, "queue receive failed");
      }
      if (items.length === 0) {
        // Woken while asking (an item enqueued, or a delayed one come due, after the queue looked): ask again now.
        if (this.wakes === wakes) await this.idle();
        continue;
      }
      // There may be more: the next idle worker looks while this one works.
      this.wake();
      for (const item of items) await this.handle(item);
    }
  }

  private async handle(item: LeasedItem): Promise<void> {
    this.inFlight++;
    try {
      await handleItem({ queue: this.queue, reconciler: this.reconciler, logger: this.logger }, item);
    } finally {
      this.inFlight--;
    }
  }

  private idle(): Promise<void> {
    // A worker whose receive was in flight when stop() ran comes here after stop() woke the idle ones: nobody would
    // wake it again (no poll is armed once stopped), and stop() waits for its loop.
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.armPoll();
    });
  }

  /** Every idlePollMs while a worker is idle, one of them looks at the queue. */
  private armPoll(): void {
    if (this.pollTimer || !this.running) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.waiters.shift()?.();
      if (this.waiters.length > 0) this.armPoll();
    }, this.opts.idlePollMs);
  }
}

/**
 * What a worker does with one leased item — `tornade serve`'s pool and the Lambda worker alike: the work, then ack; a
 * throw hands it back with a delay (after the queue's maxAttempts it becomes a dead letter, where it stays visible).
 * True when done, false when handed back.
 */
export async function handleItem(
  deps: { readonly queue: Pick<Queue, "ack" | "release">; readonly reconciler: Pick<Reconciler, "reconcile" | "recordTaking">; readonly logger: Logger },
  item: LeasedItem,
): Promise<boolean> {
  try {
    await workOn(deps, item);
    await deps.queue.ack(item.receiptHandle);
    return true;
  } catch (e) {
    const delay = Math.min(60_000, 1_000 * 2 ** Math.min(6, item.attempts));
    deps.logger.error({ key: item.key, attempts: item.attempts, err: e instanceof Error ? e.message : String(e) }, "reconcile failed");
    await deps.queue.release(item.receiptHandle, delay).catch(() => undefined);
    return false;
  }
}

async function workOn(deps: Parameters<typeof handleItem>[0], item: LeasedItem): Promise<void> {
  if (item.kind === RECONCILE) {
    const jobId = jobIdOf(item.payload);
    if (jobId !== undefined) return void (await deps.reconciler.reconcile(jobId));
  } else if (item.kind === TAKEN) {
    const taking = takingOf(item.payload);
    if (taking) return void (await deps.reconciler.recordTaking(taking));
  }
  deps.logger.error({ kind: item.kind, key: item.key }, "unknown work item dropped");
}
