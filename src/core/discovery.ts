/**
 * Which runs the sweeper lists the jobs of, pure. A job whose every webhook was lost (none even logged) is found only
 * among its repository's queued and in-progress runs, one GitHub call per run's job listing, within a budget per round.
 * GitHub lists runs newest first, so a run that falls off the first page while a burst goes on would wait for the burst
 * to end: the runs looked at least recently (then the oldest) go first, so every active run has its turn, and a run
 * whose queued jobs were all known when last listed is left alone for a while.
 */

/** What the sweeper remembers of a run whose jobs it listed. */
export interface LookedAtRun {
  readonly runId: number;
  /** When its jobs were last listed. */
  readonly lookedAt: number;
  /** Every queued job it had then was known to tornade (or too young to judge: not settled). */
  readonly settled: boolean;
}

export interface DiscoveryPolicy {
  /** Queued jobs (and runs) younger than this are left to their webhook, which is probably on its way. */
  readonly graceMs: number;
  /** A settled run is not listed again for this long. */
  readonly recheckMs: number;
  /** A run not looked at for this long is forgotten (a run that long finished is not listed any more). */
  readonly forgetMs: number;
}

export const defaultDiscoveryPolicy: Omit<DiscoveryPolicy, "graceMs"> = { recheckMs: 5 * 60_000, forgetMs: 24 * 3600_000 };

/** The runs to list the jobs of, in order; the caller stops when its call budget is spent. */
export function runsToList(
  runs: readonly { readonly id: number; readonly createdAt?: number | undefined }[],
  memory: ReadonlyMap<number, LookedAtRun>,
  now: number,
  policy: DiscoveryPolicy,
): number[] {
  const lookedAt = (id: number) => {
    const m = memory.get(id);
    return m && now - m.lookedAt <= policy.forgetMs ? m.lookedAt : 0;
  };
  return runs
    .filter((run) => {
      const m = memory.get(run.id);
      if (m?.settled && now - m.lookedAt <= policy.recheckMs) return false;
      return !(run.createdAt !== undefined && now - run.createdAt < policy.graceMs);
    })
    .sort((a, b) => lookedAt(a.id) - lookedAt(b.id) || (a.createdAt ?? 0) - (b.createdAt ?? 0))
    .map((run) => run.id);
}
