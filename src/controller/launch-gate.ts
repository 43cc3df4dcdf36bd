/**
 * Admission of launches: at most `maxRunners` runners at once (overall and per backend), first come first served,
 * and no faster than the quotas in core/pacing.ts allow — so a burst waits in order instead of hitting
 * ThrottlingException or GitHub's secondary limit. Buckets and the waiting line live in this process: in the
 * replicated mode each replica paces itself (the quotas are per account, so set limits per replica accordingly).
 */
import type { Clock } from "../clock/clock.js";
import { GITHUB_JIT_WINDOW, QUOTAS, fullBucket, take, waitForToken, windowTake, windowWait, type Bucket, type BucketSpec } from "../core/pacing.js";
import type { Backend } from "../core/types.js";
import type { Store } from "../store/store.js";

export interface LaunchLimits {
  /** Runners launching or running at once, all backends together. */
  readonly maxRunners: number;
  readonly perBackend: Readonly<Partial<Record<Backend, number>>>;
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryInMs: number; readonly reason: string };

/** How soon a job held back by a concurrency limit looks again (clock ms); capacity freeing also wakes it. */
const CAPACITY_RETRY_MS = 5_000;
/** A waiter not heard from for this long has gone (its job completed elsewhere): it loses its place. */
const WAITER_TTL_MS = 4 * CAPACITY_RETRY_MS;

export class LaunchGate {
  private readonly buckets = new Map<string, Bucket>();
  /** When the JIT configs of the last minute were asked for. */
  private jitTimes: number[] = [];
  /** Jobs held back by a concurrency limit, oldest first, per backend. */
  private readonly line = new Map<Backend, Map<number, number>>();

  constructor(
    private readonly store: Pick<Store, "countActiveLaunches">,
    private readonly clock: Clock,
    private readonly limits: LaunchLimits,
  ) {}

  /** Takes the tokens for one launch of `jobId` on `backend` when everything allows it; otherwise says how long to wait. */
  async admit(jobId: number, backend: Backend): Promise<Admission> {
    const now = this.clock.now();
    const line = this.lineOf(backend, now);
    const limit = this.limits.perBackend[backend];
    const [all, mine] = await Promise.all([
      this.store.countActiveLaunches(),
      limit === undefined ? Promise.resolve(0) : this.store.countActiveLaunches({ backend }),
    ]);
    const full = all >= this.limits.maxRunners ? `${all} runners at the limit of ${this.limits.maxRunners}` : limit !== undefined && mine >= limit ? `${mine} ${backend} runners at its limit of ${limit}` : null;
    if (full) {
      if (!line.has(jobId)) line.set(jobId, now);
      else line.set(jobId, line.get(jobId) ?? now);
      return { ok: false, retryInMs: CAPACITY_RETRY_MS, reason: full };
    }
    const first = line.keys().next();
    if (!first.done && first.value !== jobId) {
      line.set(jobId, line.get(jobId) ?? now);
      return { ok: false, retryInMs: 100, reason: "older jobs wait for this backend first" };
    }
    const specs = bucketsFor(backend);
    const wait = Math.max(windowWait(this.jitTimes, GITHUB_JIT_WINDOW, now), ...specs.map(([key, spec]) => waitForToken(this.bucket(key, spec, now), spec, now)));
    if (wait > 0) return { ok: false, retryInMs: wait, reason: "paced to the AWS and GitHub quotas" };
    for (const [key, spec] of specs) this.buckets.set(key, take(this.bucket(key, spec, now), spec, now));
    this.jitTimes = windowTake(this.jitTimes, GITHUB_JIT_WINDOW, now);
    line.delete(jobId);
    return { ok: true };
  }

  private bucket(key: string, spec: BucketSpec, now: number): Bucket {
    return this.buckets.get(key) ?? fullBucket(spec, now);
  }

  private lineOf(backend: Backend, now: number): Map<number, number> {
    let line = this.line.get(backend);
    if (!line) this.line.set(backend, (line = new Map()));
    // Map order is insertion order: the oldest waiter first. Waiters that stopped asking are dropped.
    for (const [id, seen] of line) if (now - seen > WAITER_TTL_MS) line.delete(id);
    return line;
  }
}

/**
 * The AWS buckets a launch on `backend` takes a token from (GitHub's window applies to every launch, and so does
 * Parameter Store's: every launch writes its runner's JIT parameter).
 */
function bucketsFor(backend: Backend): [string, BucketSpec][] {
  const parameterStore: [string, BucketSpec] = ["parameterStore", QUOTAS.parameterStore];
  switch (backend) {
    case "FARGATE":
      return [["runTask", QUOTAS.runTask], ["fargate", QUOTAS.fargateOnDemand], parameterStore];
    case "FARGATE_SPOT":
      return [["runTask", QUOTAS.runTask], ["fargateSpot", QUOTAS.fargateSpot], parameterStore];
    case "CODEBUILD":
      return [["startBuild", QUOTAS.startBuild], parameterStore];
  }
}
