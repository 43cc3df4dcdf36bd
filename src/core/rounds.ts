/**
 * How often a periodic round (the sweeper's, the reaper's) comes, pure. Each round costs GitHub calls whatever it
 * finds — a delivery-log page, run listings, runner listings — so a round that found nothing backs off, and one that
 * found work (or left some) brings the next one back to the base interval. Something known to fall due (a
 * redelivery to retry, a runner reaching its idle timeout) is not waited past.
 */
export interface RoundPacing {
  /** The interval after a round that found work: the configured sweep interval. */
  readonly baseMs: number;
  /** The longest wait after rounds that found nothing. */
  readonly maxMs: number;
}

/** The back-off of a quiet round: a few base intervals at most. */
export const QUIET_ROUND_FACTOR = 5;

export function roundPacing(baseMs: number): RoundPacing {
  return { baseMs, maxMs: baseMs * QUIET_ROUND_FACTOR };
}

/**
 * The wait before the next round. `lastMs`: the wait before this one. `found`: this round found or left work.
 * `dueInMs`: when something known falls due, if anything does. Never less than the base interval: a due time only
 * shortens a back-off.
 */
export function nextRoundIn(lastMs: number, found: boolean, pacing: RoundPacing, dueInMs?: number | null): number {
  const wait = found ? pacing.baseMs : Math.min(pacing.maxMs, Math.max(pacing.baseMs, lastMs * 2));
  return dueInMs === undefined || dueInMs === null ? wait : Math.max(pacing.baseMs, Math.min(wait, dueInMs));
}

/** A round's pace, kept from one round to the next by whoever runs the rounds (the sweeper, the reaper). */
export class Pace {
  private waitMs: number;

  constructor(private readonly pacing: RoundPacing) {
    this.waitMs = pacing.baseMs;
  }

  /** The wait before the next round (Periodic asks after each round). */
  nextRoundInMs(): number {
    return this.waitMs;
  }

  /** Records how a round went; returns the wait before the next one. */
  after(found: boolean, dueInMs?: number | null): number {
    this.waitMs = nextRoundIn(this.waitMs, found, this.pacing, dueInMs);
    return this.waitMs;
  }
}
