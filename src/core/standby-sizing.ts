/**
 * Adaptive standby sizing (docs/standby.md "Adaptive sizing"): how many standbys a shape should keep, from how often
 * its jobs arrive and how long a standby takes to boot. Pure: the controller counts the arrivals and the boots.
 *
 * Each job a standby takes starts a replacement, which is ready one boot later. So at a steady rate λ the standbys
 * booting at any moment are the jobs of the last boot, on average m = λ × boot; a job finds no standby waiting only
 * when more than the pool's size arrive within one boot. With Poisson arrivals that count has mean m and standard
 * deviation √m, so a pool of m + z·√m (z = 1.645, the normal's 95th percentile) has one waiting for ≥ 95 % of the
 * jobs: what a p95 pickup of a few seconds needs (a job that finds only a booting standby waits for the rest of its
 * boot). What is left waiting on average, z·√m standbys, is the idle cost: z·√(boot / λ) runner-seconds per job —
 * below 0.5 runner-minutes per job from about 17 jobs a minute on a 95 s boot, above it at lower rates (the hit rate
 * is the aim; the bounds below cap the cost).
 */

/** z of the normal's 95th percentile: the pool covers the arrivals of one boot 19 times in 20. */
export const ADAPTIVE_Z = 1.6448536269514722;

export interface AdaptiveBounds {
  /** At most this many standbys of the shape. */
  readonly max: number;
  /** At most this much per hour for the shape's standbys (the cost module's price of one, per hour); none: no cap. */
  readonly maxCostPerHour?: number | undefined;
}

export interface SizingInput extends AdaptiveBounds {
  /** Jobs of the shape that asked for a runner within the window. */
  readonly arrivals: number;
  /** How long the arrivals were counted over (the window, or less since the controller started), ms. */
  readonly observedMs: number;
  /** A standby's boot, launch → waiting (the median of recent ones), ms. */
  readonly bootMs: number;
  /** What one standby of the shape costs per hour while it waits. */
  readonly costPerHour: number;
}

export interface SizingDecision {
  readonly count: number;
  /** Expected arrivals during one boot (m). */
  readonly expectedPerBoot: number;
  /** What set the count: the arrivals, the maximum, or the cost cap. */
  readonly boundBy: "demand" | "max" | "cost";
}

/** The standbys a shape should keep now (0 when nothing arrived: a shape nobody uses costs nothing). */
export function adaptiveStandbys(input: SizingInput): SizingDecision {
  const rate = input.observedMs > 0 ? input.arrivals / input.observedMs : 0;
  const m = rate * Math.max(0, input.bootMs);
  const demand = m > 0 ? Math.ceil(m + ADAPTIVE_Z * Math.sqrt(m)) : 0;
  const byCost = input.maxCostPerHour === undefined || input.costPerHour <= 0 ? Infinity : Math.floor(input.maxCostPerHour / input.costPerHour + 1e-9);
  const max = Math.max(0, Math.floor(input.max));
  const count = Math.min(demand, max, byCost);
  const boundBy = count === demand ? "demand" : count === byCost && byCost < max ? "cost" : "max";
  return { count, expectedPerBoot: m, boundBy };
}

/** The median of recent boots, or `fallbackMs` when none has been seen. */
export function typicalBootMs(boots: readonly number[], fallbackMs: number): number {
  if (boots.length === 0) return fallbackMs;
  const sorted = [...boots].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
