/**
 * What adaptive standby sizing reads (docs/standby.md "Adaptive sizing"): per shape, the jobs that asked for a runner
 * in the last window and the boots of recent standbys; each round it turns them into a count with the pure
 * core/standby-sizing.ts. Kept in memory by the replica that sees the jobs: a restarted controller starts from no
 * arrivals (and no standbys for adaptive shapes) and learns the rate again within a window.
 */
import { adaptiveStandbys, typicalBootMs, type AdaptiveBounds, type SizingDecision } from "../core/standby-sizing.js";
import type { StandbyTarget, StandbyView } from "../core/standby.js";

/** A standby target sized from demand: its `count` is what the last round decided. */
export interface AdaptiveSizing extends AdaptiveBounds {
  /** What one standby of the shape costs an hour (core/cost.ts runnerCost over an hour). */
  readonly costPerHour: number;
}

export type StandbyTargetSpec = StandbyTarget & { readonly adaptive?: AdaptiveSizing | undefined };

/**
 * Before any standby of a shape has been seen booting: ~95 s, a 1 GiB image on Fargate at the median (the published
 * boot profile, docs/testbed.md "Boot times").
 */
export const BOOT_FALLBACK_MS = 95_000;
/** The boots a shape's typical boot is the median of. */
const RECENT_BOOTS = 20;

export class StandbyDemand {
  /** Per shape: job id → when it first asked for a runner. */
  private readonly arrivals = new Map<string, Map<number, number>>();
  private readonly boots = new Map<string, { id: string; ms: number }[]>();
  private readonly since: number;

  constructor(
    private readonly windowMs: number,
    now: number,
  ) {
    this.since = now;
  }

  /** A job of this shape asked for a runner (once per job, however many attempts). */
  arrived(shape: string, jobId: number, now: number): void {
    let seen = this.arrivals.get(shape);
    if (!seen) this.arrivals.set(shape, (seen = new Map()));
    if (!seen.has(jobId)) seen.set(jobId, now);
  }

  /** Standbys seen running: their launch → running is a boot of their shape. */
  observe(standbys: readonly StandbyView[]): void {
    for (const s of standbys) {
      if (s.startedAt === null) continue;
      let recent = this.boots.get(s.shape);
      if (!recent) this.boots.set(s.shape, (recent = []));
      if (recent.some((b) => b.id === s.id)) continue;
      recent.push({ id: s.id, ms: s.startedAt - s.requestedAt });
      if (recent.length > RECENT_BOOTS) recent.shift();
    }
  }

  /** What an adaptive shape should keep now; forgets arrivals older than the window. */
  size(shape: string, bounds: AdaptiveSizing, now: number): SizingDecision {
    const seen = this.arrivals.get(shape);
    for (const [job, at] of seen ?? []) if (now - at > this.windowMs) seen!.delete(job);
    return adaptiveStandbys({
      ...bounds,
      arrivals: seen?.size ?? 0,
      observedMs: Math.min(this.windowMs, now - this.since),
      bootMs: typicalBootMs((this.boots.get(shape) ?? []).map((b) => b.ms), BOOT_FALLBACK_MS),
    });
  }

  /** The targets with each adaptive one's count decided now; fixed ones as configured. */
  sized(targets: readonly StandbyTargetSpec[], now: number): StandbyTarget[] {
    return targets.map((t) => (t.adaptive ? { ...t, count: this.size(t.shape, t.adaptive, now).count } : t));
  }
}
