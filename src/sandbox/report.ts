/**
 * What happened to each job of a sandbox run, read from tornade's own store and from the simulated GitHub — the
 * outcome a person would check: did the job complete, on which backend and arch, after how many launches, and if
 * nothing was launched, why.
 */
import { formatDuration } from "../core/duration.js";
import { servedWarm } from "../core/standby-stats.js";
import type { Arch, Backend } from "../core/types.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";

export type Outcome =
  | "completed" // GitHub reports the job completed (its runner ran it)
  | "not-launched" // not tornade's, or type=static: nothing to launch, by design
  | "rejected" // a label error: tornade will not serve it, and says why
  | "failed" // tornade tried and gave up (e.g. a permanent AWS error); the reason says why
  | "pending"; // still waiting when the sandbox stopped (only on a timeout)

export interface JobReport {
  readonly name: string;
  readonly labels: readonly string[];
  readonly outcome: Outcome;
  readonly backend: Backend | null;
  readonly arch: Arch | null;
  readonly launches: number;
  readonly reason: string | null;
  /** GitHub's conclusion when completed ("success", "failure", …). */
  readonly conclusion: string | null;
  /** Pickup: seconds from GitHub queueing the job (created_at) to it starting on a runner (started_at); null before. */
  readonly pickupSeconds: number | null;
  /** Its runner was a standby handed the job (warm), or one started for it (cold); null when none took it. */
  readonly warm: boolean | null;
}

export interface GitHubJobView {
  readonly status: string;
  readonly conclusion: string | null;
  /** GitHub's created_at and started_at (ISO 8601), when the view has them. */
  readonly createdAt?: string;
  readonly startedAt?: string | null;
}

/**
 * One job's report from what tornade stored and what GitHub says. `foreign` is why the labels are not tornade's, or
 * null: such jobs are counted, never stored, so their reason comes from the labels rather than the store.
 */
export function reportJob(
  name: string,
  labels: readonly string[],
  github: GitHubJobView | undefined,
  job: JobRecord | undefined,
  launches: readonly LaunchRecord[],
  foreign: string | null = null,
): JobReport {
  const last = launches.reduce<LaunchRecord | undefined>((a, l) => (!a || l.attempt > a.attempt ? l : a), undefined);
  const started = github?.startedAt && github.createdAt ? (Date.parse(github.startedAt) - Date.parse(github.createdAt)) / 1000 : null;
  const warm = servedWarm(launches);
  const base = {
    name,
    labels,
    launches: launches.length,
    backend: last?.backend ?? null,
    arch: last?.arch ?? null,
    conclusion: github?.conclusion ?? null,
    pickupSeconds: started === null ? null : Math.max(0, started),
    warm: started === null || warm === undefined ? null : warm,
  };
  const decision = job?.decision;
  if (github?.status === "completed") return { ...base, outcome: "completed", reason: null };
  if (!job && foreign !== null) return { ...base, outcome: "not-launched", reason: foreign };
  switch (decision?.kind) {
    case "static":
    case "ignored":
      return { ...base, outcome: "not-launched", reason: decision.reason ?? null };
    case "rejected":
      return { ...base, outcome: "rejected", reason: decision.reason ?? null };
    case "failed":
      return { ...base, outcome: "failed", reason: decision.reason ?? null };
    default:
      return { ...base, outcome: "pending", reason: job ? "waiting for its runner" : "no webhook received yet" };
  }
}

export function isSettled(r: JobReport): boolean {
  return r.outcome !== "pending";
}

export interface Totals {
  readonly jobs: number;
  readonly completed: number;
  readonly notLaunched: number;
  readonly rejected: number;
  readonly failed: number;
  readonly pending: number;
  readonly launches: number;
  /** Simulated seconds from the first job queued to the last settled. */
  readonly simulatedSeconds: number;
  readonly wallSeconds: number;
  /** ECS tasks and CodeBuild builds still running, and runners still registered, when the sandbox ended. */
  readonly leftoverTasks: number;
  readonly leftoverRunners: number;
  /** The simulated time limit (`--time-limit`), and whether the run stopped there with jobs still pending. */
  readonly timeLimitSeconds: number;
  readonly stoppedAtTimeLimit: boolean;
  /** Median pickup (created_at → started_at) of the jobs started on a standby (warm) and on a runner of their own (cold). */
  readonly pickup: { readonly warm: PickupSummary; readonly cold: PickupSummary };
}

export interface PickupSummary {
  readonly jobs: number;
  /** Seconds; null without jobs. */
  readonly p50S: number | null;
}

function pickupOf(reports: readonly JobReport[], warm: boolean): PickupSummary {
  const xs = reports.flatMap((r) => (r.warm === warm && r.pickupSeconds !== null ? [r.pickupSeconds] : [])).sort((a, b) => a - b);
  const mid = Math.floor(xs.length / 2);
  const p50S = xs.length === 0 ? null : xs.length % 2 ? (xs[mid] ?? null) : ((xs[mid - 1] ?? 0) + (xs[mid] ?? 0)) / 2;
  return { jobs: xs.length, p50S };
}

export function totals(
  reports: readonly JobReport[],
  extra: Pick<Totals, "simulatedSeconds" | "wallSeconds" | "leftoverTasks" | "leftoverRunners" | "timeLimitSeconds" | "stoppedAtTimeLimit">,
): Totals {
  const count = (o: Outcome) => reports.filter((r) => r.outcome === o).length;
  return {
    jobs: reports.length,
    completed: count("completed"),
    notLaunched: count("not-launched"),
    rejected: count("rejected"),
    failed: count("failed"),
    pending: count("pending"),
    launches: reports.reduce((n, r) => n + r.launches, 0),
    pickup: { warm: pickupOf(reports, true), cold: pickupOf(reports, false) },
    ...extra,
  };
}

/**
 * A fixed-width table for people. `pickup`: with a column and a line of pickup times (queued → started, warm or
 * cold) — for runs with standbys, on the slow clock where those times mean something (speed.ts STANDBY_DEFAULT_SPEED).
 */
export function formatTable(reports: readonly JobReport[], t: Totals, opts: { readonly pickup?: boolean } = {}): string {
  const pickup = (r: JobReport) => (r.pickupSeconds === null ? "-" : `${r.pickupSeconds.toFixed(0)} s ${r.warm ? "warm" : "cold"}`);
  const cells = (r: JobReport) => [r.name, r.outcome, r.backend ?? "-", r.arch ?? "-", String(r.launches), ...(opts.pickup ? [pickup(r)] : []), r.reason ?? r.conclusion ?? ""];
  const rows = reports.map(cells);
  const head = ["job", "outcome", "backend", "arch", "launches", ...(opts.pickup ? ["pickup"] : []), "reason / conclusion"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  return [
    line(head),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `${t.jobs} jobs: ${t.completed} completed, ${t.notLaunched} not launched, ${t.rejected} rejected, ${t.failed} failed, ${t.pending} pending; ` +
      `${t.launches} launches; ${t.simulatedSeconds.toFixed(0)} s simulated in ${t.wallSeconds.toFixed(1)} s; ` +
      `${t.leftoverTasks} tasks/builds and ${t.leftoverRunners} runners left behind`,
    ...(opts.pickup ? [`pickup (queued → started, median): ${describePickup(t.pickup.cold, "cold")}; ${describePickup(t.pickup.warm, "warm")} (on a standby)`] : []),
  ].join("\n");
}

function describePickup(p: PickupSummary, what: string): string {
  return p.p50S === null ? `no ${what} start` : `${p.p50S.toFixed(0)} s ${what} (${p.jobs} job${p.jobs === 1 ? "" : "s"})`;
}

/**
 * Why a run ended with jobs pending, when it hit its time limit: what was left, and the fix. `suggestedSpeed` comes from
 * speed.ts (suggestSpeed).
 */
export function timeLimitMessage(t: Totals, speed: number, suggestedSpeed: number): string | undefined {
  if (!t.stoppedAtTimeLimit) return undefined;
  return (
    `the run stopped at its simulated time limit of ${formatDuration(t.timeLimitSeconds * 1000)} (--time-limit) with ${t.pending} of ${t.jobs} jobs still pending; ` +
    `${t.leftoverTasks} tasks/builds and ${t.leftoverRunners} runners were left behind. At ${speed}x this machine could not do the work before ` +
    `simulated time ran out (the simulators and the controller share one process and pay for every job in real time). ` +
    `Fix: run it again with a lower --speed, e.g. --speed ${suggestedSpeed}, or a longer --time-limit`
  );
}
