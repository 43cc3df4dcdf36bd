/**
 * `tornade cost`'s data: the runners tornade launched in a time window, read from the store through its port, priced
 * by the pure model in core/cost.ts. A runner counts when it stopped inside the window or is still running; its whole
 * life counts (from the task or build starting to it stopping).
 */
import { describeCeilings, type CostCeilings } from "../core/ceilings.js";
import { summarizeCost, type CostSummary, type Prices, type RunnerUsage } from "../core/cost.js";
import type { JobRecord, LaunchRecord, Store } from "../store/store.js";

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
  for await (const job of allJobs(store)) {
    firstRecordAt = Math.min(firstRecordAt ?? job.receivedAt, job.receivedAt);
    const spec = specOf(job);
    for (const l of await store.listLaunches(job.id)) {
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
  return { ...summarizeCost(usages, opts.prices), ...history, until: opts.until, prices: opts.prices, stillRunning, assumedSizes, notes, ...ceilings };
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
  const from = l.startedAt ?? l.launchedAt;
  if (from === null || l.providerId === null) return undefined;
  const to = l.stoppedAt ?? until;
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
  const widths = head.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const fmt = (row: string[]) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ").trimEnd();
  const pct = r.total.githubHostedCost > 0 ? ` (${Math.round((r.total.saving / r.total.githubHostedCost) * 100)} % of the GitHub-hosted price)` : "";
  const out = [
    `runners from ${new Date(r.since).toISOString()} to ${new Date(r.until).toISOString()}, ${r.prices.region} prices`,
    "",
    ...rows.map(fmt),
    "",
    r.total.runners === 0 ? "no runners in this window" : `saving ${usd(r.total.saving)}${pct} against GitHub-hosted 2-core runners`,
  ];
  if (r.stillRunning > 0) out.push(`${r.stillRunning} runner(s) still running, counted up to now`);
  if (r.ceilings) out.push(`ceilings: ${describeCeilings(r.ceilings)}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return `${out.join("\n")}\n`;
}
