/**
 * What the dashboard shows, assembled from stored jobs and launches. Pure: records and `now` in, a JSON-ready view
 * out, so every rule (which state a job is in, what counts as a failure, how queue time is measured) is testable with
 * plain values. The browser only draws this; it decides nothing.
 */
import type { Arch, Backend, LaunchSpec } from "../core/types.js";
import { ARCHS, BACKENDS } from "../core/types.js";
import type { QueueDepth } from "../queue/queue.js";
import type { JobRecord, LaunchRecord } from "../store/store.js";
import { DEFAULT_PRICES, runnerCost, runnerWindow, type Prices, type RunnerUsage } from "../core/cost.js";
import { describeCeilings, type CostCeilings } from "../core/ceilings.js";
import { describeOutcome, isPolicyViolation } from "../core/launch-outcome.js";
import { isStandbyRow, standbysView, type StandbysView } from "./standbys.js";

export const JOB_STATES = ["queued", "launching", "running", "done", "rejected", "failed", "static", "ignored"] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobView {
  readonly id: number;
  readonly name: string;
  readonly repository: string;
  readonly runId: number;
  readonly labels: readonly string[];
  readonly state: JobState;
  /** Why it was rejected, failed, or not launched; GitHub's conclusion when done. */
  readonly reason: string | null;
  readonly backend: Backend | null;
  readonly arch: Arch | null;
  readonly launches: number;
  readonly createdAt: number;
  /** Seconds from GitHub queueing the job to its runner's task or build running; null until then. */
  readonly runnerOnlineSeconds: number | null;
  /** Seconds from GitHub queueing the job to the job starting; null when the store has no start time. */
  readonly startedSeconds: number | null;
}

export interface EventView {
  readonly at: number;
  readonly jobId: number;
  readonly jobName: string;
  /** "policy-violation": a job tornade refuses took this job's runner (docs/security.md, "Scope"). */
  readonly kind: "failure" | "fallback" | "spot-interruption" | "rejected" | "gave-up" | "policy-violation";
  readonly backend: Backend | null;
  readonly message: string;
}

export interface BackendView {
  readonly backend: Backend;
  readonly arch: Arch;
  readonly launches: number;
  /** Launches holding a runner now (requested, launched, running). */
  readonly active: number;
  readonly failed: number;
  readonly runnerMinutes: number;
  readonly awsUsd: number;
  readonly githubUsd: number;
}

export interface HistogramView {
  /** Upper bounds in seconds; the last bucket is everything above the last bound. */
  readonly bounds: readonly number[];
  readonly runnerOnline: readonly number[];
  readonly jobStarted: readonly number[];
  readonly samples: { readonly runnerOnline: number; readonly jobStarted: number };
  /** Medians in seconds, null without samples. */
  readonly median: { readonly runnerOnline: number | null; readonly jobStarted: number | null };
}

/** The time the dashboard shows: real, or a test bed's compressed clock (sandbox, `serve --testbed`). */
export interface ClockView {
  /** Simulated milliseconds per real one; 1 is real time. */
  readonly speed: number;
  /** True when `now` and every time on the page is simulated time, not the wall clock. */
  readonly simulated: boolean;
}

export interface DashboardView {
  /** Epoch milliseconds on tornade's clock (simulated when `clock.simulated`). */
  readonly now: number;
  readonly sandbox: boolean;
  readonly clock: ClockView;
  readonly counts: Readonly<Record<JobState, number>>;
  readonly jobs: readonly JobView[];
  readonly backends: readonly BackendView[];
  readonly queueTime: HistogramView;
  readonly events: readonly EventView[];
  /** Runners taken by a job tornade refuses, among the launches looked at (each is also an event). */
  readonly policyViolations: number;
  readonly cost: { readonly awsUsd: number; readonly githubUsd: number; readonly source: string };
  /** The cost ceilings in force (limits.*) and a line saying them; null when the server did not give them. */
  readonly ceilings: (CostCeilings & { readonly text: string }) | null;
  readonly queueDepth: QueueDepth;
  /** Standby runners per shape, the hit rate and their idle cost (beside `cost`, the runners'). */
  readonly standbys: StandbysView;
  /** What the view could not show and why (e.g. a field the store does not keep). */
  readonly notes: readonly string[];
}

export const QUEUE_TIME_BOUNDS = [10, 20, 30, 45, 60, 90, 120, 180, 300, 600] as const;

const ACTIVE = new Set(["requested", "launched", "running"]);

export interface ViewInput {
  readonly jobs: readonly JobRecord[];
  /** Every launch of the listed jobs (others are ignored), and the standbys' launch rows. */
  readonly launches: readonly LaunchRecord[];
  readonly now: number;
  readonly sandbox: boolean;
  /** tornade's clock speed (Clock.speed); default 1, real time. */
  readonly clockSpeed?: number;
  readonly queueDepth: QueueDepth;
  /** Rows in the job table, newest first. */
  readonly jobLimit?: number;
  readonly eventLimit?: number;
  /** Default: the published us-east-1 prices (core/cost.ts). */
  readonly prices?: Prices;
  /** Caveats about the prices (another region, an assumed Spot discount), shown under the cost. */
  readonly priceNotes?: readonly string[];
  readonly ceilings?: CostCeilings;
}

type PriceRunner = (u: RunnerUsage) => { awsUsd: number; githubUsd: number };

/** One line saying what the estimate assumes, beside the figures it qualifies. */
export function costSource(p: Prices, notes: readonly string[] = []): string {
  return [
    `${p.region} prices (core/cost.ts); tasks that named no size as ${p.assumedTask.cpu} vCPU / ${p.assumedTask.memory} MiB; GitHub-hosted = the 2-core runner of the same arch`,
    ...notes,
  ].join(". ");
}

export function buildView(input: ViewInput): DashboardView {
  // A standby's row is no job's runner: it has a panel of its own, and its idle time a price of its own.
  const standbyRows = input.launches.filter(isStandbyRow);
  const launches = input.launches.filter((l) => !isStandbyRow(l));
  const byJob = new Map<number, LaunchRecord[]>();
  for (const l of launches) byJob.set(l.jobId, [...(byJob.get(l.jobId) ?? []), l]);
  for (const list of byJob.values()) list.sort((a, b) => a.attempt - b.attempt);

  const views = input.jobs.map((j) => jobView(j, byJob.get(j.id) ?? []));
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const v of views) counts[v.state]++;
  const names = new Map(input.jobs.map((j) => [j.id, j.name]));
  const specs = new Map(input.jobs.map((j) => [j.id, sizeOf(j)]));
  const prices = input.prices ?? DEFAULT_PRICES;
  const price: PriceRunner = (u) => {
    const c = runnerCost(u, prices);
    return { awsUsd: c.awsCost, githubUsd: c.githubHostedCost };
  };

  const speed = input.clockSpeed ?? 1;
  return {
    now: input.now,
    sandbox: input.sandbox,
    clock: { speed, simulated: speed !== 1 },
    counts,
    jobs: [...views].sort((a, b) => b.createdAt - a.createdAt || b.id - a.id).slice(0, input.jobLimit ?? 200),
    backends: backendViews(launches, specs, input.now, price),
    queueTime: histogram(views),
    events: events(input.jobs, launches, names).slice(0, input.eventLimit ?? 30),
    policyViolations: launches.filter((l) => isPolicyViolation(l.outcome)).length,
    cost: { ...costTotals(launches, specs, input.now, price), source: costSource(prices, input.priceNotes) },
    ceilings: input.ceilings ? { ...input.ceilings, text: describeCeilings(input.ceilings) } : null,
    queueDepth: input.queueDepth,
    standbys: standbysView(input.jobs, (id) => byJob.get(id) ?? [], standbyRows, input.now, prices),
    notes: [],
  };
}

export function jobState(job: JobRecord, launches: readonly LaunchRecord[]): { state: JobState; reason: string | null } {
  const d = job.decision;
  switch (d?.kind) {
    case "rejected":
    case "failed":
    case "static":
    case "ignored":
      return { state: d.kind, reason: d.reason };
  }
  if (job.status === "completed") return { state: "done", reason: job.conclusion };
  if (job.status === "in_progress") return { state: "running", reason: null };
  const last = launches[launches.length - 1];
  if (last && ACTIVE.has(last.state)) return { state: "launching", reason: null };
  // A failed attempt with the decision still "launch": the controller will try again; say what went wrong meanwhile.
  const problem = last && launchProblem(last);
  if (problem) return { state: "queued", reason: `retrying after: ${problem.message}` };
  return { state: "queued", reason: null };
}

function jobView(job: JobRecord, launches: readonly LaunchRecord[]): JobView {
  const { state, reason } = jobState(job, launches);
  const last = launches[launches.length - 1];
  // A runner handed to a standby came online for this job at the handoff, not when the standby's task started.
  const first = launches.find((l) => l.startedAt !== null);
  const online = first ? (runnerWindow(first, first.startedAt ?? 0)?.from ?? first.startedAt) : null;
  const started = startedAtOf(job);
  return {
    id: job.id,
    name: job.name,
    repository: job.repository,
    runId: job.runId,
    labels: job.labels,
    state,
    reason,
    backend: last?.backend ?? specBackend(job),
    arch: last?.arch ?? specArch(job),
    launches: launches.length,
    createdAt: job.createdAt,
    runnerOnlineSeconds: online === null ? null : Math.max(0, (online - job.createdAt) / 1000),
    startedSeconds: started === null ? null : Math.max(0, (started - job.createdAt) / 1000),
  };
}

/** When the job started on its runner (GitHub's started_at, from the in_progress webhook). */
function startedAtOf(job: JobRecord): number | null {
  return job.startedAt;
}

/**
 * What went wrong with a launch, if anything: why it did not start, or what became of its runner (taken, lost to
 * Spot, failed, stopped by tornade). `label` is the short kind people read in events.
 */
function launchProblem(l: LaunchRecord): { label: string; message: string } | null {
  if (l.error) return { label: l.error.kind, message: l.error.message };
  return l.outcome ? describeOutcome(l.outcome) : null;
}

function spec(job: JobRecord): LaunchSpec | null {
  const d = job.decision;
  return d?.kind === "launch" || d?.kind === "failed" ? d.spec : null;
}
function specBackend(job: JobRecord): Backend | null {
  return spec(job)?.backend ?? null;
}
function specArch(job: JobRecord): Arch | null {
  return spec(job)?.arch ?? null;
}
type Size = Pick<RunnerUsage, "cpu" | "memory" | "disk" | "size">;

function sizeOf(job: JobRecord): Size {
  const s = spec(job);
  return { cpu: s?.cpu, memory: s?.memory, disk: s?.disk, size: s?.size };
}

/**
 * Seconds a launch's runner has existed (billed time), or null if it never started; a runner handed to a standby from
 * the handoff (core/cost.ts runnerWindow: before it, the task was the standby's, priced as idle).
 */
function runnerSeconds(l: LaunchRecord, now: number): number | null {
  if (l.startedAt === null) return null;
  const w = runnerWindow(l, l.stoppedAt ?? (l.state === "running" ? now : l.startedAt));
  return w ? Math.max(0, (w.to - w.from) / 1000) : null;
}

function backendViews(launches: readonly LaunchRecord[], specs: Map<number, Size>, now: number, price: PriceRunner): BackendView[] {
  const out: BackendView[] = [];
  for (const backend of BACKENDS) {
    for (const arch of ARCHS) {
      const mine = launches.filter((l) => l.backend === backend && l.arch === arch);
      let seconds = 0;
      let awsUsd = 0;
      let githubUsd = 0;
      for (const l of mine) {
        const s = runnerSeconds(l, now);
        if (s === null) continue;
        seconds += s;
        const c = price({ backend, arch, seconds: s, ...specs.get(l.jobId) });
        awsUsd += c.awsUsd;
        githubUsd += c.githubUsd;
      }
      out.push({
        backend,
        arch,
        launches: mine.length,
        active: mine.filter((l) => ACTIVE.has(l.state)).length,
        failed: mine.filter((l) => l.state === "failed" || launchProblem(l) !== null).length,
        runnerMinutes: seconds / 60,
        awsUsd,
        githubUsd,
      });
    }
  }
  return out;
}

function costTotals(launches: readonly LaunchRecord[], specs: Map<number, Size>, now: number, price: PriceRunner) {
  let awsUsd = 0;
  let githubUsd = 0;
  for (const l of launches) {
    const s = runnerSeconds(l, now);
    if (s === null) continue;
    const c = price({ backend: l.backend, arch: l.arch, seconds: s, ...specs.get(l.jobId) });
    awsUsd += c.awsUsd;
    githubUsd += c.githubUsd;
  }
  return { awsUsd, githubUsd };
}

function bucketOf(seconds: number): number {
  const i = QUEUE_TIME_BOUNDS.findIndex((b) => seconds <= b);
  return i === -1 ? QUEUE_TIME_BOUNDS.length : i;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function histogram(views: readonly JobView[]): HistogramView {
  const online = views.flatMap((v) => (v.runnerOnlineSeconds === null ? [] : [v.runnerOnlineSeconds]));
  const started = views.flatMap((v) => (v.startedSeconds === null ? [] : [v.startedSeconds]));
  const count = (xs: number[]) => {
    const b = new Array<number>(QUEUE_TIME_BOUNDS.length + 1).fill(0);
    for (const x of xs) b[bucketOf(x)] = (b[bucketOf(x)] ?? 0) + 1;
    return b;
  };
  return {
    bounds: QUEUE_TIME_BOUNDS,
    runnerOnline: count(online),
    jobStarted: count(started),
    samples: { runnerOnline: online.length, jobStarted: started.length },
    median: { runnerOnline: median(online), jobStarted: median(started) },
  };
}

function events(jobs: readonly JobRecord[], launches: readonly LaunchRecord[], names: Map<number, string>): EventView[] {
  const out: EventView[] = [];
  for (const l of launches) {
    const jobName = names.get(l.jobId) ?? String(l.jobId);
    if (l.fallbackFrom) {
      out.push({ at: l.requestedAt, jobId: l.jobId, jobName, kind: "fallback", backend: l.backend, message: `${l.fallbackFrom} → ${l.backend} (attempt ${l.attempt})` });
    }
    const problem = launchProblem(l);
    if (problem && isPolicyViolation(l.outcome)) {
      // The store keeps no time for the taking; the runner's start is the closest stable one.
      out.push({ at: l.startedAt ?? l.launchedAt ?? l.requestedAt, jobId: l.jobId, jobName, kind: "policy-violation", backend: l.backend, message: problem.message });
    } else if (problem) {
      const kind = l.spotInterrupted || l.outcome?.kind === "spot-interrupted" ? "spot-interruption" : "failure";
      out.push({ at: l.stoppedAt ?? l.updatedAt, jobId: l.jobId, jobName, kind, backend: l.backend, message: `${problem.label}: ${problem.message}` });
    }
  }
  for (const j of jobs) {
    const d = j.decision;
    if (d?.kind === "rejected") out.push({ at: j.receivedAt, jobId: j.id, jobName: j.name, kind: "rejected", backend: null, message: d.reason });
    if (d?.kind === "failed") out.push({ at: j.updatedAt, jobId: j.id, jobName: j.name, kind: "gave-up", backend: specBackend(j), message: d.reason });
  }
  return out.sort((a, b) => b.at - a.at);
}
