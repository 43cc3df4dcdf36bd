/**
 * GitHub Actions' side of a job's life: runs and jobs are created by the control API, queued, assigned to runners,
 * run and completed, with a workflow_job webhook at every step.
 *
 * Assignment follows "Using labels with self-hosted runners" / "Choosing the runner for a job" (docs.github.com): a job
 * goes to an idle online runner that has every label the job asks for; labels compare case-insensitively. The oldest
 * queued job is served first; among eligible runners, the one idle longest. A JIT runner is ephemeral: it takes one
 * job and is removed once that job ends ("Create configuration for a just-in-time runner", REST self-hosted runners).
 * A runner that stops talking to GitHub is marked offline and its job fails ("The self-hosted runner lost
 * communication with the server").
 *
 * The runner scale set service (scaleset/) follows jobs through `observe` (every event a webhook reports) and puts
 * its own rule before labels and groups through `route`: a scale set's jobs go to its runners only.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Clock, ClockTimer } from "../../src/clock/clock.js";
import type { Site } from "./payloads.js";
import { groupAdmits } from "./runner-groups.js";
import type { SimState } from "./state.js";
import type { CreateRunInput, JobConclusion, JobRecord, RunRecord, RunnerRecord } from "./types.js";
import { workflowJobPayload, type WorkflowJobAction } from "./webhook-payloads.js";
import type { WebhookDispatcher } from "./webhooks.js";

/** The one workflow expression the simulator evaluates in job labels. */
export const RUN_ID_EXPRESSION = "${{ github.run_id }}";

/** What the runner learns about its job (the real runner gets this inside the job message). */
export interface JobMessage {
  id: number;
  runId: number;
  runAttempt: number;
  name: string;
  labels: string[];
  durationSeconds: number;
  conclusion: "success" | "failure";
}

type Waiter = (job: JobMessage | null) => void;

/** Told of every job event the webhooks report (the scale set service follows jobs this way). */
export type JobObserver = (job: JobRecord, action: WorkflowJobAction) => void;
/** Whether `runner` may take `job` (true / false), or undefined to let labels and runner groups decide. */
export type RunnerRouting = (runner: RunnerRecord, job: JobRecord) => boolean | undefined;

export class Scheduler {
  private readonly waiters = new Map<number, { resolve: Waiter; timer: ClockTimer }>();
  private sweepTimer: ClockTimer | null = null;
  private closed = false;
  private readonly observers: JobObserver[] = [];
  private routing: RunnerRouting = () => undefined;

  constructor(
    private readonly state: SimState,
    private readonly site: Site,
    private readonly clock: Clock,
    private readonly hooks: WebhookDispatcher,
    private readonly lostAfterMs: number,
  ) {
    this.scheduleSweep();
  }

  private emit(job: JobRecord, action: WorkflowJobAction): void {
    const run = this.state.runs.get(job.runId);
    const repo = run ? this.state.repo(run.repo) : undefined;
    const payload = workflowJobPayload(this.site, this.state, job, action, this.clock.now());
    this.hooks.send(
      { event: "workflow_job", action, jobId: job.id, jobName: job.name },
      payload as unknown as Record<string, unknown>,
      this.site.installationId,
      repo?.id ?? null,
    );
    for (const o of this.observers) o(job, action);
  }

  observe(o: JobObserver): void {
    this.observers.push(o);
  }

  /** Puts a rule before labels and runner groups (jobs of a scale set go to its runners only). */
  route(r: RunnerRouting): void {
    this.routing = r;
  }

  createRun(input: CreateRunInput): { run: RunRecord; jobs: JobRecord[] } {
    const now = this.clock.now();
    const repoName = input.repo ?? [...this.state.repos.values()][0]?.name ?? "repo";
    this.state.repo(repoName);
    const run: RunRecord = {
      id: this.state.runId(),
      runNumber: this.state.runNumber(),
      attempt: 1,
      repo: repoName,
      workflowName: input.workflowName ?? "CI",
      headSha: randomBytes(20).toString("hex"),
      headBranch: "main",
      createdAt: now,
      updatedAt: now,
      runStartedAt: now,
      jobIds: [],
    };
    this.state.runs.set(run.id, run);
    const jobs = input.jobs.map((j) => {
      const job = this.newJob(run, {
        name: j.name,
        // GitHub evaluates expressions in `runs-on` before queueing: the seed's `${{ github.run_id }}` label becomes
        // the run's id, which is what makes a runner started for this run unable to take another run's job.
        labels: j.labels.map((l) => l.replaceAll(RUN_ID_EXPRESSION, String(run.id))),
        durationSeconds: j.durationSeconds,
        plannedConclusion: j.conclusion ?? "success",
        environment: j.environment ?? null,
      });
      return job;
    });
    for (const job of jobs) {
      // A job gated by an environment is `waiting` first; approval is not modelled, it is queued right after.
      if (job.environment) {
        this.emit(job, "waiting");
        job.status = "queued";
        job.queuedSeq = this.state.nextSeq();
      }
      this.emit(job, "queued");
    }
    this.assign();
    return { run, jobs };
  }

  private newJob(
    run: RunRecord,
    j: Pick<JobRecord, "name" | "labels" | "durationSeconds" | "plannedConclusion" | "environment">,
  ): JobRecord {
    const now = this.clock.now();
    const job: JobRecord = {
      ...j,
      id: this.state.jobId(),
      runId: run.id,
      runAttempt: run.attempt,
      status: j.environment ? "waiting" : "queued",
      conclusion: null,
      createdAt: now,
      // GitHub reports started_at = created_at until a runner picks the job up.
      startedAt: now,
      completedAt: null,
      runnerId: null,
      runnerName: null,
      runnerGroupId: null,
      runnerGroupName: null,
      lastRenewAt: now,
      queuedSeq: this.state.nextSeq(),
      superseded: false,
    };
    this.state.jobs.set(job.id, job);
    run.jobIds.push(job.id);
    return job;
  }

  /** Re-run one job: refused while its run is in progress (GitHub answers 403), else a new attempt is queued. */
  rerunJob(jobId: number): "not_found" | "in_progress" | JobRecord {
    const old = this.state.jobs.get(jobId);
    const run = old ? this.state.runs.get(old.runId) : undefined;
    if (!old || !run) return "not_found";
    if (this.state.latestJobsOfRun(run.id).some((j) => j.status !== "completed")) return "in_progress";
    run.attempt++;
    run.updatedAt = run.runStartedAt = this.clock.now();
    for (const j of this.state.latestJobsOfRun(run.id)) if (j.name === old.name) j.superseded = true;
    const job = this.newJob(run, { ...old, environment: null });
    this.emit(job, "queued");
    this.assign();
    return job;
  }

  /** Cancels a run: every unfinished job completes with conclusion "cancelled". False when already completed. */
  cancelRun(runId: number): boolean {
    const run = this.state.runs.get(runId);
    if (!run) return false;
    const open = this.state.latestJobsOfRun(runId).filter((j) => j.status !== "completed");
    if (open.length === 0) return false;
    for (const job of open) this.finish(job, "cancelled");
    return true;
  }

  private finish(job: JobRecord, conclusion: JobConclusion): void {
    job.status = "completed";
    job.conclusion = conclusion;
    job.completedAt = this.clock.now();
    const run = this.state.runs.get(job.runId);
    if (run) run.updatedAt = job.completedAt;
    const runner = job.runnerId === null ? undefined : this.state.runners.get(job.runnerId);
    if (runner && runner.jobId === job.id) {
      runner.jobId = null;
      runner.idleSince = this.state.nextSeq();
      if (runner.ephemeral) this.removeRunner(runner);
    }
    this.emit(job, "completed");
    this.assign();
  }

  removeRunner(runner: RunnerRecord): void {
    this.state.runners.delete(runner.id);
    runner.sessionId = null;
    this.wake(runner.id, null);
  }

  /** Hands queued jobs, oldest first, to idle online runners whose labels cover the job's. */
  assign(): void {
    const queued = [...this.state.jobs.values()].filter((j) => j.status === "queued").sort((a, b) => a.queuedSeq - b.queuedSeq);
    if (queued.length === 0) return;
    const idle = [...this.state.runners.values()]
      .filter((r) => r.sessionId !== null && r.jobId === null)
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const job of queued) {
      const repoName = this.state.runs.get(job.runId)?.repo ?? "";
      const repo = repoName.toLowerCase();
      const wanted = job.labels.map((l) => l.toLowerCase());
      const i = idle.findIndex((r) => {
        const routed = this.routing(r, job);
        if (routed !== undefined) return routed;
        if (r.repo !== null && r.repo.toLowerCase() !== repo) return false;
        // An organization runner serves only the repositories its group gives access to.
        const group = r.repo === null ? this.state.groups.get(r.groupId) : undefined;
        if (group && !groupAdmits(group, this.state.repo(repoName))) return false;
        const have = new Set(r.labels.map((l) => l.toLowerCase()));
        return wanted.every((l) => have.has(l));
      });
      if (i < 0) continue;
      const [runner] = idle.splice(i, 1);
      if (runner) this.start(job, runner);
    }
  }

  private start(job: JobRecord, runner: RunnerRecord): void {
    const now = this.clock.now();
    runner.jobId = job.id;
    job.status = "in_progress";
    job.startedAt = job.lastRenewAt = now;
    job.runnerId = runner.id;
    job.runnerName = runner.name;
    job.runnerGroupId = runner.groupId;
    job.runnerGroupName = runner.groupName;
    const run = this.state.runs.get(job.runId);
    if (run) run.updatedAt = now;
    this.emit(job, "in_progress");
    this.wake(runner.id, message(job));
  }

  // ---- the runner's side (called by runner-protocol.ts) ----

  openSession(runner: RunnerRecord): string {
    runner.sessionId = randomUUID();
    runner.lastSeen = this.clock.now();
    runner.idleSince = this.state.nextSeq();
    this.assign();
    return runner.sessionId;
  }

  /** A runner going offline with a job assigned (e.g. stopped before it picked the job up) fails that job. */
  closeSession(runner: RunnerRecord): void {
    runner.sessionId = null;
    this.wake(runner.id, null);
    const job = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
    if (job && job.status === "in_progress") this.finish(job, "failure");
  }

  /** Long poll: the runner's assigned job now, or when one is assigned within `waitMs` of clock time. */
  poll(runner: RunnerRecord, waitMs: number): { job: Promise<JobMessage | null>; cancel: () => void } {
    runner.lastSeen = this.clock.now();
    const current = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
    if (current && current.status === "in_progress") return { job: Promise.resolve(message(current)), cancel: () => {} };
    this.wake(runner.id, null);
    const job = new Promise<JobMessage | null>((resolve) => {
      const timer = this.clock.setTimeout(() => this.wake(runner.id, null), waitMs);
      this.waiters.set(runner.id, { resolve, timer });
    });
    return { job, cancel: () => this.wake(runner.id, null) };
  }

  private wake(runnerId: number, job: JobMessage | null): void {
    const w = this.waiters.get(runnerId);
    if (!w) return;
    this.waiters.delete(runnerId);
    this.clock.clearTimeout(w.timer);
    const r = this.state.runners.get(runnerId);
    if (r) r.lastSeen = this.clock.now();
    w.resolve(job);
  }

  /** Job lease renewal; false when the job is no longer this runner's (cancelled, or the runner was lost). */
  renew(runner: RunnerRecord, jobId: number): boolean {
    runner.lastSeen = this.clock.now();
    const job = this.state.jobs.get(jobId);
    if (!job || job.runnerId !== runner.id || job.status !== "in_progress") return false;
    job.lastRenewAt = runner.lastSeen;
    return true;
  }

  complete(runner: RunnerRecord, jobId: number, conclusion: "success" | "failure" | "cancelled"): boolean {
    runner.lastSeen = this.clock.now();
    const job = this.state.jobs.get(jobId);
    if (!job || job.runnerId !== runner.id || job.status !== "in_progress") return false;
    this.finish(job, conclusion);
    return true;
  }

  private scheduleSweep(): void {
    if (this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweep();
      this.scheduleSweep();
    }, Math.max(1000, this.lostAfterMs / 5));
  }

  /** Runners not heard from for `lostAfterMs` go offline; the job they held fails. */
  sweep(): void {
    const now = this.clock.now();
    for (const runner of [...this.state.runners.values()]) {
      if (runner.sessionId === null || this.waiters.has(runner.id)) continue;
      if (now - runner.lastSeen < this.lostAfterMs) continue;
      runner.sessionId = null;
      const job = runner.jobId === null ? undefined : this.state.jobs.get(runner.jobId);
      runner.jobId = null;
      if (job && job.status === "in_progress") {
        job.runnerId = runner.id;
        this.finishLost(job);
      }
    }
  }

  /** Like finish, but the lost runner stays listed (offline), as GitHub keeps it until its cleanup. */
  private finishLost(job: JobRecord): void {
    job.status = "completed";
    job.conclusion = "failure";
    job.completedAt = this.clock.now();
    const run = this.state.runs.get(job.runId);
    if (run) run.updatedAt = job.completedAt;
    this.emit(job, "completed");
    this.assign();
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer) this.clock.clearTimeout(this.sweepTimer);
    for (const id of [...this.waiters.keys()]) this.wake(id, null);
  }
}

function message(job: JobRecord): JobMessage {
  return {
    id: job.id,
    runId: job.runId,
    runAttempt: job.runAttempt,
    name: job.name,
    labels: job.labels,
    durationSeconds: job.durationSeconds,
    conclusion: job.plannedConclusion,
  };
}
