/**
 * The dashboard's standby panel (docs/standby.md, "Seen and priced"): per shape, standbys booting, waiting, being
 * recycled and handed to a job, the hit rate of the jobs of that shape (served warm / all), and what the standbys'
 * idle time cost next to what the runners cost. Pure, like model.ts: rows in, a JSON-ready view out. /metrics reads the
 * same view for its standby gauges.
 */
import { standbyIdleCost, type Prices } from "../core/cost.js";
import { hitRate, jobStartOf, shapeSizing, standbyCounts, standbyIdleUsage, type JobStartView, type StandbyShapeCounts } from "../core/standby-stats.js";
import type { Arch, Backend, LaunchSpec } from "../core/types.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";

export interface StandbyShapeView extends StandbyShapeCounts {
  readonly backend: Backend | null;
  readonly arch: Arch | null;
  /** Idle time of its standbys (booted, serving nobody) and its cost, over the rows read. */
  readonly idleMinutes: number;
  readonly idleUsd: number;
}

export interface StandbysView {
  readonly shapes: readonly StandbyShapeView[];
  readonly warmJobs: number;
  readonly coldJobs: number;
  /** Over the shapes with standbys: jobs served warm / all jobs of those shapes; null without any. */
  readonly hitRate: number | null;
  readonly idleMinutes: number;
  readonly idleUsd: number;
}

/** Is this launch row a standby's (job id NO_JOB with a standby role)? */
export const isStandbyRow = (l: LaunchRecord): boolean => l.standby !== null;

export function standbysView(
  jobs: readonly JobRecord[],
  launchesOf: (jobId: number) => readonly LaunchRecord[],
  standbyRows: readonly LaunchRecord[],
  now: number,
  prices: Prices,
): StandbysView {
  const starts: JobStartView[] = [];
  for (const j of jobs) {
    const spec = specOf(j);
    const start = spec && jobStartOf(spec, launchesOf(j.id));
    if (start) starts.push(start);
  }
  const rows = standbyRows.flatMap((l) => (l.standby ? [{ row: l, role: l.standby }] : []));
  const counts = standbyCounts(
    rows.map(({ row, role }) => ({ shape: role.shape, state: row.state, status: role.status.kind })),
    starts,
  );
  const shapes = counts.map((c): StandbyShapeView => {
    const mine = rows.filter((r) => r.role.shape === c.shape);
    const sizing = shapeSizing(c.shape);
    let seconds = 0;
    let usd = 0;
    for (const { row, role } of mine) {
      const idle = standbyIdleUsage({ ...row, shape: role.shape, status: role.status }, now);
      if (!idle) continue;
      seconds += idle.seconds;
      usd += standbyIdleCost(idle, prices);
    }
    return { ...c, backend: sizing?.backend ?? mine[0]?.row.backend ?? null, arch: sizing?.arch ?? mine[0]?.row.arch ?? null, idleMinutes: seconds / 60, idleUsd: usd };
  });
  const warmJobs = shapes.reduce((n, s) => n + s.warmJobs, 0);
  const coldJobs = shapes.reduce((n, s) => n + s.coldJobs, 0);
  return {
    shapes,
    warmJobs,
    coldJobs,
    hitRate: hitRate(warmJobs, coldJobs),
    idleMinutes: shapes.reduce((n, s) => n + s.idleMinutes, 0),
    idleUsd: shapes.reduce((n, s) => n + s.idleUsd, 0),
  };
}

function specOf(job: JobRecord): LaunchSpec | undefined {
  const d = job.decision;
  return d?.kind === "launch" || d?.kind === "failed" ? d.spec : undefined;
}
