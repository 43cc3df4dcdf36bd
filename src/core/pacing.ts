/**
 * Token buckets, as pure values: how tornade paces launches to the published quotas instead of running into them.
 * A bucket holds up to `capacity` tokens and refills `perSecond` tokens a second; a launch takes one token.
 */
export interface BucketSpec {
  readonly capacity: number;
  readonly perSecond: number;
}

export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

export function fullBucket(spec: BucketSpec, now: number): Bucket {
  return { tokens: spec.capacity, at: now };
}

/** The bucket as it stands at `now`. */
export function refill(b: Bucket, spec: BucketSpec, now: number): Bucket {
  const elapsed = Math.max(0, now - b.at) / 1000;
  return { tokens: Math.min(spec.capacity, b.tokens + elapsed * spec.perSecond), at: Math.max(b.at, now) };
}

/**
 * Milliseconds until the bucket holds one token (0 when it does now); with `n`, until the n-th launch from now can take
 * its token, the n − 1 before it taking theirs as they come (what a waiter n − 1 places back in line waits at least).
 */
export function waitForToken(b: Bucket, spec: BucketSpec, now: number, n = 1): number {
  const r = refill(b, spec, now);
  return r.tokens >= n ? 0 : Math.ceil(((n - r.tokens) / spec.perSecond) * 1000);
}

export function take(b: Bucket, spec: BucketSpec, now: number): Bucket {
  const r = refill(b, spec, now);
  return { tokens: r.tokens - 1, at: r.at };
}

/**
 * A sliding window: at most `limit` events in any `windowMs`. GitHub counts its secondary limit per minute, so a
 * token bucket (a burst, then a steady rate) would let a second burst into the same minute; a window does not.
 */
export interface WindowSpec {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Milliseconds until one more event fits in the window (0 when it fits now); with `n`, until the n-th event from now
 * fits, the n − 1 before it taken as soon as each fits. `times` are past events, oldest first.
 */
export function windowWait(times: readonly number[], spec: WindowSpec, now: number, n = 1): number {
  // The n-th needs n − limit of the events before it gone: at best those come a whole window after the first of them.
  if (n > spec.limit) return windowWait(times, spec, now, n - spec.limit) + spec.windowMs;
  const recent = times.filter((t) => now - t < spec.windowMs);
  if (recent.length + n <= spec.limit) return 0;
  // The event whose leaving makes room for the n-th: the one before it, counted from the oldest, must have left.
  const leaving = recent[recent.length + n - 1 - spec.limit] ?? now;
  return Math.max(1, leaving + spec.windowMs - now);
}

/** The events after one more at `now`, with those outside the window dropped. */
export function windowTake(times: readonly number[], spec: WindowSpec, now: number): number[] {
  return [...times.filter((t) => now - t < spec.windowMs), now];
}

/**
 * The quotas launches are paced to, each with its published source.
 * - ECS RunTask: 20 calls a second, and Fargate task launches: a burst of 100 refilled at 20 a second, separately for
 *   On-Demand and Spot ("Amazon ECS service quotas" → API request throttling / Fargate task launch rate; AWS Fargate
 *   throttling quotas).
 * - GitHub (GITHUB_JIT_WINDOW below): the secondary rate limit allows 900 points a minute on one REST endpoint and a
 *   POST costs 5 points ("Rate limits for the REST API" → secondary rate limits), so at most 180 JIT configs a minute.
 * - CodeBuild StartBuild: AWS publishes no per-second figure for it; a conservative 10 a second (burst 20) is used.
 * - SSM Parameter Store: 40 transactions a second per account and Region at the default throughput, shared by
 *   GetParameter, GetParameters and PutParameter ("Changing Parameter Store throughput"). Every launch on every backend
 *   costs one PutParameter (tornade) and one read (the runner, or CodeBuild for it), so tornade takes half: 20 puts a
 *   second, leaving the other half for the runners' reads (docs/performance.md, "Runner credentials").
 */
export const QUOTAS = {
  runTask: { capacity: 20, perSecond: 20 },
  fargateOnDemand: { capacity: 100, perSecond: 20 },
  fargateSpot: { capacity: 100, perSecond: 20 },
  startBuild: { capacity: 20, perSecond: 10 },
  parameterStore: { capacity: 20, perSecond: 20 },
} as const satisfies Record<string, BucketSpec>;

/** GitHub's 180 JIT configs a minute per App, less a margin for the odd retry that counts against the same endpoint. */
export const GITHUB_JIT_WINDOW: WindowSpec = { limit: 170, windowMs: 60_000 };
