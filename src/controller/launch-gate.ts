/**
 * Admission of launches: at most `maxRunners` runners at once (overall and per backend), first come first served,
 * and no faster than the quotas in core/pacing.ts allow — so a burst waits in order instead of hitting
 * ThrottlingException or GitHub's secondary limit. Every runner tornade starts asks here (launcher.ts `start`): a
 * job's, the static pool's. Buckets, the waiting line and the admissions not yet recorded live in this process: in
 * the replicated mode each replica paces itself (the quotas are per account, so set limits per replica accordingly),
 * while the runners counted against the limits are the launch rows every replica shares.
 */
import type { Clock } from "../clock/clock.js";
import { GITHUB_JIT_WINDOW, QUOTAS, fullBucket, take, waitForToken, windowTake, windowWait, type Bucket, type BucketSpec } from "../core/pacing.js";
import { BACKENDS, type Backend } from "../core/types.js";
import type { Store } from "../store/store.js";

export interface LaunchLimits {
  /** Runners launching or running at once, all backends together. */
  readonly maxRunners: number;
  readonly perBackend: Readonly<Partial<Record<Backend, number>>>;
}

/**
 * A pass: the launch may go ahead. Until `recorded()` is called the gate counts it itself, so that launches admitted at
 * the same moment cannot together overshoot a limit before their rows are written; call it once the launch row
 * exists (it then counts through the store — for counts asked for before that, the gate goes on counting it), or when
 * the launch ends without one. Calling it twice is harmless.
 */
export interface Pass {
  readonly ok: true;
  recorded(): void;
}

export type Admission = Pass | { readonly ok: false; readonly retryInMs: number; readonly reason: string };

/** How soon a job held back by a concurrency limit looks again (clock ms); capacity freeing also wakes it. */
export const CAPACITY_RETRY_MS = 5_000;
/**
 * A waiter not heard from for this long has gone (its job completed elsewhere): it loses its place. One told to look
 * again later than that (far back in a burst's line) has WAITER_GRACE_MS past the time it was told.
 */
export const WAITER_TTL_MS = 4 * CAPACITY_RETRY_MS;
const WAITER_GRACE_MS = WAITER_TTL_MS - CAPACITY_RETRY_MS;
/** The soonest a waiter behind others looks again: the head of the line may go any moment. */
const BEHIND_RETRY_MS = 100;

export class LaunchGate {
  private readonly buckets = new Map<string, Bucket>();
  /** When the JIT configs of the last minute were asked for. */
  private jitTimes: number[] = [];
  /**
   * Who is held back, per backend: `job:42`, `pool:FARGATE/X86_64` (launcher.ts), with when each must have asked
   * again to keep its place. The Map's insertion order is the order of first asking: the line.
   */
  private readonly line = new Map<Backend, Map<string, number>>();
  /**
   * Launches admitted here whose rows a count of the store may not include: not written yet (`recordedAt` unset), or
   * written after that count was asked for. Dropped once no count in flight is older than their row.
   */
  private readonly admitted = new Set<{ readonly backend: Backend; recordedAt?: number }>();
  /** When each count of the store now in flight was asked for, on `tick`. */
  private readonly counting = new Set<{ readonly since: number }>();
  /** Orders count requests and row writes; no clock is fine enough (several happen within one millisecond). */
  private tick = 0;

  constructor(
    private readonly store: Pick<Store, "countActiveLaunches">,
    private readonly clock: Clock,
    private readonly limits: LaunchLimits,
  ) {}

  /**
   * Takes the tokens for one launch by `who` on `backend` when everything allows it; otherwise says how long to wait.
   * `who` keeps its place in the line for as long as it keeps asking (at least once every WAITER_TTL_MS).
   */
  async admit(who: string, backend: Backend): Promise<Admission> {
    const now = this.clock.now();
    const line = this.lineOf(backend, now);
    // A newcomer joins at the back; setting an existing entry keeps its position, so asking again refreshes only when
    // it must ask next, never its place.
    line.set(who, now + WAITER_TTL_MS);

    const stored = await this.countStored(backend);
    // From here to the pass nothing awaits: an admission that raced this one has taken its pass already, or takes it
    // after this one and counts it.
    const full = this.atLimit(backend, stored);
    if (full) return this.hold(line, who, now, CAPACITY_RETRY_MS, full);
    const specs = bucketsFor(backend);
    const ahead = placesAhead(line, who);
    // A waiter n places back looks again when the quotas could have let the n before it go and then it, not every
    // 100 ms: in a 1,000-job burst the line's looks would otherwise crowd out the head's own (issue 13's burst1000).
    const wait = Math.max(
      windowWait(this.jitTimes, GITHUB_JIT_WINDOW, now, ahead + 1),
      ...specs.map(([key, spec]) => waitForToken(this.bucket(key, spec, now), spec, now, ahead + 1)),
    );
    if (ahead > 0) return this.hold(line, who, now, Math.max(BEHIND_RETRY_MS, wait), "older jobs (or pool runners) wait for this backend first");
    if (wait > 0) return this.hold(line, who, now, wait, "paced to the AWS and GitHub quotas");
    for (const [key, spec] of specs) this.buckets.set(key, take(this.bucket(key, spec, now), spec, now));
    this.jitTimes = windowTake(this.jitTimes, GITHUB_JIT_WINDOW, now);
    line.delete(who);
    return this.pass(backend);
  }

  /**
   * Paces a handoff to a standby runner (docs/standby.md): no runner starts, so no limit, line or AWS launch bucket
   * applies, but it asks GitHub for a JIT config and writes one parameter, like a launch. Takes both tokens and answers
   * 0, or answers how long to wait (clock ms) and takes nothing.
   */
  paceHandoff(): number {
    const now = this.clock.now();
    const [key, spec] = PARAMETER_STORE;
    const wait = Math.max(windowWait(this.jitTimes, GITHUB_JIT_WINDOW, now), waitForToken(this.bucket(key, spec, now), spec, now));
    if (wait > 0) return wait;
    this.buckets.set(key, take(this.bucket(key, spec, now), spec, now));
    this.jitTimes = windowTake(this.jitTimes, GITHUB_JIT_WINDOW, now);
    return 0;
  }

  /** Holds `who` back for `retryInMs`; it keeps its place if it asks again by then, with the TTL's slack. */
  private hold(line: Map<string, number>, who: string, now: number, retryInMs: number, reason: string): Admission {
    line.set(who, now + Math.max(WAITER_TTL_MS, retryInMs + WAITER_GRACE_MS));
    return { ok: false, retryInMs, reason };
  }

  /**
   * `who` no longer wants a launch (a pool that is full again, a job a sibling's runner took): the waiters behind it
   * need not wait for its TTL. Without `backend`, from every line (a job's look does not know which it waited in).
   */
  leave(who: string, backend?: Backend): void {
    for (const b of backend ? [backend] : BACKENDS) this.line.get(b)?.delete(who);
  }

  /**
   * How many are held back in each backend's line now: waiting for room under a limit, for older requests, or for the
   * pacing (a waiter that stopped asking counts until its TTL has passed). This process's line only.
   */
  waiting(): Record<Backend, number> {
    const now = this.clock.now();
    const sizes = BACKENDS.map((b) => [b, this.lineOf(b, now).size] as const);
    return Object.fromEntries(sizes) as Record<Backend, number>;
  }

  /** The active launch rows, all and of `backend`, and when they were asked for (on `tick`). */
  private async countStored(backend: Backend): Promise<{ readonly all: number; readonly mine: number; readonly since: number }> {
    const read = { since: ++this.tick };
    this.counting.add(read);
    try {
      const [all, mine] = await Promise.all([
        this.store.countActiveLaunches(),
        this.limits.perBackend[backend] === undefined ? Promise.resolve(0) : this.store.countActiveLaunches({ backend }),
      ]);
      return { all, mine, since: read.since };
    } finally {
      this.counting.delete(read);
    }
  }

  /** Why no more runners may start on `backend` now, or null when one may: the stored rows plus those they miss. */
  private atLimit(backend: Backend, stored: { readonly all: number; readonly mine: number; readonly since: number }): string | null {
    const unseen = [...this.admitted].filter((a) => a.recordedAt === undefined || a.recordedAt > stored.since);
    this.forgetSeen();
    const all = stored.all + unseen.length;
    if (all >= this.limits.maxRunners) return `${all} runners at the limit of ${this.limits.maxRunners}`;
    const limit = this.limits.perBackend[backend];
    const mine = stored.mine + unseen.filter((a) => a.backend === backend).length;
    if (limit !== undefined && mine >= limit) return `${mine} ${backend} runners at its limit of ${limit}`;
    return null;
  }

  /** Drops the admissions whose rows every count still in flight was asked for after: the store counts them now. */
  private forgetSeen(): void {
    const oldest = Math.min(...[...this.counting].map((c) => c.since));
    for (const a of this.admitted) if (a.recordedAt !== undefined && a.recordedAt < oldest) this.admitted.delete(a);
  }

  private pass(backend: Backend): Pass {
    const admission: { readonly backend: Backend; recordedAt?: number } = { backend };
    this.admitted.add(admission);
    return {
      ok: true,
      recorded: () => {
        admission.recordedAt ??= ++this.tick;
      },
    };
  }

  private bucket(key: string, spec: BucketSpec, now: number): Bucket {
    return this.buckets.get(key) ?? fullBucket(spec, now);
  }

  private lineOf(backend: Backend, now: number): Map<string, number> {
    let line = this.line.get(backend);
    if (!line) this.line.set(backend, (line = new Map()));
    // Map order is insertion order: the oldest waiter first. Waiters that stopped asking are dropped.
    for (const [who, askBy] of line) if (now > askBy) line.delete(who);
    return line;
  }
}

/** How many wait in `line` before `who`. */
function placesAhead(line: ReadonlyMap<string, number>, who: string): number {
  let ahead = 0;
  for (const key of line.keys()) {
    if (key === who) return ahead;
    ahead++;
  }
  return ahead;
}

/**
 * The AWS buckets a launch on `backend` takes a token from (GitHub's window applies to every launch, and so does
 * Parameter Store's: every launch writes its runner's JIT parameter).
 */
const PARAMETER_STORE: [string, BucketSpec] = ["parameterStore", QUOTAS.parameterStore];

function bucketsFor(backend: Backend): [string, BucketSpec][] {
  const parameterStore = PARAMETER_STORE;
  switch (backend) {
    case "FARGATE":
      return [["runTask", QUOTAS.runTask], ["fargate", QUOTAS.fargateOnDemand], parameterStore];
    case "FARGATE_SPOT":
      return [["runTask", QUOTAS.runTask], ["fargateSpot", QUOTAS.fargateSpot], parameterStore];
    case "CODEBUILD":
      return [["startBuild", QUOTAS.startBuild], parameterStore];
  }
}
