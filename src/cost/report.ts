/**
 * `tornade cost`'s data: the runners tornade launched in a time window, read from the store through its port, priced
 * by the pure model in core/cost.ts. A runner counts when it stopped inside the window or is still running; its whole
 * life counts (from the task or build starting to it stopping).
 */
import { describeCeilings, type CostCeilings } from "../core/ceilings.js";
import { runnerWindow, summarizeCost, summarizeStandbyIdle, type CostSummary, type Prices, type RunnerUsage, type StandbyIdleSummary, type StandbyIdleUsage } from "../core/cost.js";
import { hitRate, jobStartOf, standbyIdleUsage, type JobStartView } from "../core/standby-stats.js";
import { NO_JOB, type JobRecord, type LaunchRecord, type Store } from "../store/store.js";

export interface CostReport extends CostSummary {
  /** Window start and end, epoch ms. The start is never before the store's first job (see `requestedSince`). */
  readonly since: number;
  /** The start that was asked for; earlier than `since` when it reached back past the store's history. */
  readonly requestedSince: number;
  /** When the store's first job arrived (epoch ms), or null for an empty store. */
  readonly firstRecordAt: number | null;
  readonly until: number;
  readonly prices: Prices;
  /** Runners still running at `until`, counted up to then. */
  readonly stillRunning: number;
  /** Runners whose size was not recorded and was assumed (prices.assumedTask / assumedCodebuildSize). */
  readonly assumedSizes: number;
  readonly notes: string[];
  /** The cost ceilings in force (limits.*), so the figures are read next to what bounds them. */
  readonly ceilings?: CostCeilings;
  /**
   * Standby runners' idle time (booted, waiting, serving nobody) and its cost, per shape, beside the runners' cost
   * above (which counts a handed-off runner from its handoff); and the jobs served warm (by a standby) and cold.
   */
  readonly standbys: StandbyIdleSummary & { readonly warmJobs: number; readonly coldJobs: number; readonly hitRate: number | null };
}

type Usage = RunnerUsage & { readonly jobId: number };

export async function costReport(
  store: Store,
  opts: { since: number; until: number; prices: Prices; notes?: string[]; ceilings?: CostCeilings },
): Promise<CostReport> {
  const usages: Usage[] = [];
  let stillRunning = 0;
  let assumedSizes = 0;
  let firstRecordAt: number | null = null;
  const starts: JobStartView[] = [];
  for await (const job of allJobs(store)) {
    firstRecordAt = Math.min(firstRecordAt ?? job.receivedAt, job.receivedAt);
    const spec = specOf(job);
    const launches = await store.listLaunches(job.id);
    const start = spec && jobStartOf(spec, launches.filter((l) => (l.stoppedAt ?? opts.until) >= opts.since));
    if (start) starts.push(start);
    for (const l of launches) {
      const u = usageOf(l, spec, opts.until);
      if (!u) continue;
      if ((l.stoppedAt ?? opts.until) < opts.since) continue;
      if (l.stoppedAt === null) stillRunning++;
      const sized = l.backend === "CODEBUILD" ? spec?.size !== undefined : spec?.cpu !== undefined && spec.memory !== undefined;
      if (!sized) assumedSizes++;
      usages.push(u);
    }
  }
  const notes = [...(opts.notes ?? [])];
  if (assumedSizes > 0) {
    const t = opts.prices.assumedTask;
    notes.push(
      `${assumedSizes} runner(s) named no size and were priced as ${t.cpu} vCPU / ${t.memory} MiB on Fargate, ${opts.prices.assumedCodebuildSize} on CodeBuild. ` +
        `Fix: set prices.assumedTask / prices.assumedCodebuildSize to your task definitions' and projects' sizes`,
    );
  }
  const since = firstRecordAt !== null && opts.since < firstRecordAt ? firstRecordAt : opts.since;
  if (firstRecordAt === null) notes.push("the store holds no jobs yet: tornade serve has not taken in a job with this store");
  else if (since > opts.since) {
    notes.push(`the window reaches back past the store's first job (${new Date(firstRecordAt).toISOString()}), so the report starts there`);
  }
  const ceilings = opts.ceilings ? { ceilings: opts.ceilings } : {};
  const history = { since, requestedSince: opts.since, firstRecordAt };
  const standbyRows = await standbyUsages(store, opts.since, opts.until);
  const idle = summarizeStandbyIdle(standbyRows, opts.prices);
  // The hit rate counts the jobs of shapes that had standbys: a job of a shape without any was never a miss.
  const withStandbys = new Set(standbyRows.map((u) => u.shape));
  const warmJobs = starts.filter((s) => withStandbys.has(s.shape) && s.warm).length;
  const coldJobs = starts.filter((s) => withStandbys.has(s.shape) && !s.warm).length;
  const standbys = { ...idle, warmJobs, coldJobs, hitRate: hitRate(warmJobs, coldJobs) };
  return { ...summarizeCost(usages, opts.prices), ...history, until: opts.until, prices: opts.prices, stillRunning, assumedSizes, notes, ...ceilings, standbys };
}

/**
 * The idle stretches of standbys (launch rows of no job with a standby role) that ended inside the window or still
 * wait, sized by their shape. Rows of the static pool (no standby role) are not standbys.
 */
async function standbyUsages(store: Store, since: number, until: number): Promise<(StandbyIdleUsage & { readonly shape: string })[]> {
  const out: (StandbyIdleUsage & { readonly shape: string })[] = [];
  for (const l of await store.listLaunches(NO_JOB)) {
    const role = l.standby;
    if (!role || (l.stoppedAt ?? until) < since) continue;
    const idle = standbyIdleUsage({ ...l, shape: role.shape, status: role.status }, until);
    if (idle) out.push(idle);
  }
  return out;
}

/** Every stored job, page by page (newest first). */
async function* allJobs(store: Store): AsyncGenerator<JobRecord> {
  let cursor: string | undefined;
  do {
    const page = await store.listJobs({ limit: 1000, ...(cursor ? { cursor } : {}) });
    yield* page.jobs;
    cursor = page.cursor;
  } while (cursor);
}

function specOf(job: JobRecord) {
  const d = job.decision;
  return d && (d.kind === "launch" || d.kind === "failed") ? d.spec : undefined;
}

/** A launch that never reached its provider (no task, no build) cost nothing. */
function usageOf(l: LaunchRecord, spec: ReturnType<typeof specOf>, until: number): Usage | undefined {
  const w = runnerWindow(l, until);
  if (!w) return undefined;
  const { from, to } = w;
  // The launch row holds the backend it actually ran on (a fallback changes it); the size comes from the job's labels.
  return {
    jobId: l.jobId,
    backend: l.backend,
    arch: l.arch,
    cpu: spec?.cpu,
    memory: spec?.memory,
    disk: spec?.disk,
    size: spec?.size,
    seconds: Math.max(0, (to - from) / 1000),
  };
}

const usd = (n: number) => `$${n.toFixed(n !== 0 && Math.abs(n) < 0.01 ? 4 : 2)}`;

/** The report as a table for a terminal. */
export function formatCostReport(r: CostReport): string {
  const head = ["backend", "arch", "jobs", "runners", "runner-min", "billed-min", "AWS", "GitHub-hosted", "saving"];
  const line = (x: { jobs: number; runners: number; runnerMinutes: number; billedMinutes: number; awsCost: number; githubHostedCost: number; saving: number }, b: string, a: string) => [
    b,
    a,
    String(x.jobs),
    String(x.runners),
    x.runnerMinutes.toFixed(1),
    x.billedMinutes.toFixed(1),
    usd(x.awsCost),
    usd(x.githubHostedCost),
    usd(x.saving),
  ];
  const rows = [head, ...r.rows.map((x) => line(x, x.backend, x.arch)), line(r.total, "total", "")];
  const pct = r.total.githubHostedCost > 0 ? ` (${Math.round((r.total.saving / r.total.githubHostedCost) * 100)} % of the GitHub-hosted price)` : "";
  const out = [
    `runners from ${new Date(r.since).toISOString()} to ${new Date(r.until).toISOString()}, ${r.prices.region} prices`,
    "",
    ...table(rows, 2),
    "",
    r.total.runners === 0 ? "no runners in this window" : `saving ${usd(r.total.saving)}${pct} against GitHub-hosted 2-core runners`,
  ];
  if (r.standbys.total.standbys > 0) out.push("", ...formatStandbys(r));
  if (r.stillRunning > 0) out.push(`${r.stillRunning} runner(s) still running, counted up to now`);
  if (r.ceilings) out.push(`ceilings: ${describeCeilings(r.ceilings)}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join("\n")}\n`;
}

/** Rows of cells as aligned lines: the first `left` columns padded on the right, the numbers on the left. */
function table(rows: readonly string[][], left: number): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd());
}

/** Standbys' idle time and cost per shape, the hit rate, and the runners' cost with the idle cost added. */
function formatStandbys(r: CostReport): string[] {
  const s = r.standbys;
  const line = (x: { standbys: number; served: number; idleMinutes: number; awsCost: number }, shape: string) => [shape, String(x.standbys), String(x.served), x.idleMinutes.toFixed(1), usd(x.awsCost)];
  const rows = [["standby shape", "standbys", "took a job", "idle-min", "idle AWS"], ...s.rows.map((x) => line(x, x.shape)), line(s.total, "total")];
  const warm = s.hitRate === null ? "no jobs launched" : `${s.warmJobs} of ${s.warmJobs + s.coldJobs} jobs served warm (hit rate ${Math.round(s.hitRate * 100)} %)`;
  return [
    "standbys (booted and waiting, serving nobody until a job takes one)",
    "",
    ...table(rows, 1),
    "",
    warm,
    `AWS: runners ${usd(r.total.awsCost)} + standby idle ${usd(s.total.awsCost)} = ${usd(r.total.awsCost + s.total.awsCost)}; saving net of idle ${usd(r.total.saving - s.total.awsCost)}`,
  ];
}
