/** A round of work repeated on the clock (tracker, sweeper, pool): never overlapping, stopped cleanly. */
import type { Clock, ClockTimer } from "../clock/clock.js";
import type { Logger } from "../log/logger.js";

export class Periodic {
  private timer: ClockTimer | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private inRound = false;
  /** A nudge came during a round: the next one starts a nudge gap after it. */
  private again = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  /** When the scheduled round is due. */
  private nextAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    /** Between rounds; a function is asked after each round, so a round can set the wait before the next (core/rounds.ts). */
    private readonly interval: number | (() => number),
    private readonly round: () => Promise<unknown>,
    private readonly logger: Logger,
    /** Run the first round at start rather than after one interval. */
    private readonly immediate = false,
    /** The least time between the starts of two rounds when nudged. */
    private readonly nudgeGapMs = 5_000,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.immediate ? 0 : this.intervalMs());
  }

  /** Stops scheduling and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Something happened that this round should see soon rather than at its next interval: the next round starts
   * `nudgeGapMs` after the previous one started, at the earliest (so a burst of nudges costs one round per gap), and
   * rounds still never overlap.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.inRound) {
      this.again = true;
      return;
    }
    const at = Math.max(this.clock.now(), this.lastStart + this.nudgeGapMs);
    if (this.timer && this.nextAt <= at) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.schedule(at - this.clock.now());
  }

  private intervalMs(): number {
    return typeof this.interval === "number" ? this.interval : this.interval();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.nextAt = this.clock.now() + delayMs;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.inRound = true;
      this.lastStart = this.clock.now();
      this.running = this.round()
        .catch((e: unknown) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, `${this.name} round failed`))
        .finally(() => {
          this.inRound = false;
          const soon = this.again;
          this.again = false;
          const interval = this.intervalMs();
          this.schedule(soon ? Math.min(interval, this.nudgeGapMs) : interval);
        });
    }, delayMs);
  }
}
