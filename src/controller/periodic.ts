/** A round of work repeated on the clock (tracker, sweeper, pool): never overlapping, stopped cleanly. */
import type { Clock, ClockTimer } from "../clock/clock.js";
import type { Logger } from "../log/logger.js";

export class Periodic {
  private timer: ClockTimer | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly logger: Logger,
    /** Run the first round at start rather than after one interval. */
    private readonly immediate = false,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.immediate ? 0 : this.intervalMs);
  }

  /** Stops scheduling and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs = this.intervalMs): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.running = this.round()
        .catch((e: unknown) => this.logger.error({ err: e instanceof Error ? e.message : String(e) }, `${this.name} round failed`))
        .finally(() => this.schedule());
    }, delayMs);
  }
}
