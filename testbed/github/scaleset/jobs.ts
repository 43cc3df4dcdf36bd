/**
 * A job's life on the scale set side, driven by the scheduler's job events (queued, in_progress, completed):
 *
 *   queued ──▶ available ──acquirejobs──▶ assigned ──a runner of the scale set takes it──▶ running ──▶ completed
 *              JobAvailable               JobAssigned                                      JobStarted    JobCompleted
 *
 * In "direct" assignment the service skips the offer and assigns the job itself (JobAssigned only). Assignment —
 * acquired or direct — stays within the capacity the listener last reported (X-ScaleSetMaxCapacity: "let the API know
 * about your scale set maximum capacity ... so that job assignment can be as accurate as possible", README.md).
 * A job offered but not acquired, or assigned but not started, within `requeueAfterMs` is requeued: offered (or
 * assigned) again, up to `maxRequeues` times. Only runners of the scale set take its jobs, and only once assigned;
 * they take no other job.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../../../src/clock/clock.js";
import type { Site } from "../payloads.js";
import type { SimState } from "../state.js";
import type { JobRecord, RunnerRecord } from "../types.js";
import type { WorkflowJobAction } from "../webhook-payloads.js";
import type { ScaleSetRegistry } from "./registry.js";
import type { ScaleSetJob, ScaleSetOptions, ScaleSetRecord } from "./types.js";
import { jobMessage, type JobMessage, type JobMessageType, type Statistics } from "./wire.js";

export interface ScaleSetJobsDeps {
  state: SimState;
  clock: Clock;
  site: Site;
  serviceUrl: string;
  registry: ScaleSetRegistry;
  options: () => ScaleSetOptions;
  /** Puts a job message about the REST job `jobId` on the scale set's queue. */
  publish(scaleSetId: number, message: JobMessage, jobId: number): void;
  /** Lets idle runners take newly assigned jobs (the scheduler's assign). */
  assignRunners(): void;
}

export interface ScaleSetJobView {
  jobId: number;
  scaleSetId: number;
  runnerRequestId: number;
  state: ScaleSetJob["state"];
  requeues: number;
}

export class ScaleSetJobs {
  private readonly byJob = new Map<number, ScaleSetJob>();
  private readonly byRequest = new Map<number, ScaleSetJob>();
  private nextRequestId = 1;

  constructor(private readonly d: ScaleSetJobsDeps) {}

  /** The scheduler's job events (it calls this beside every workflow_job webhook). */
  observe(job: JobRecord, action: WorkflowJobAction): void {
    if (action === "queued") {
      const set = this.d.registry.targetOf(job);
      if (set) this.dispatch(this.track(job, set));
      return;
    }
    const t = this.byJob.get(job.id);
    if (!t) return;
    if (action === "in_progress") {
      this.disarm(t);
      t.state = "running";
      t.runnerAssignedAt = this.d.clock.now();
      this.emit("JobStarted", t);
    } else if (action === "completed") {
      this.disarm(t);
      this.untrack(t);
      this.emit("JobCompleted", t);
      const set = this.d.registry.sets.get(t.scaleSetId);
      if (set) this.capacityChanged(set);
    }
  }

  /** For the scheduler: whether `runner` may take `job`, or undefined when no scale set is concerned. */
  mayTake(runner: RunnerRecord, job: JobRecord): boolean | undefined {
    const t = this.byJob.get(job.id);
    if (runner.scaleSetId !== null) return t !== undefined && t.scaleSetId === runner.scaleSetId && t.state === "assigned";
    return t ? false : undefined;
  }

  /** `acquirejobs`: the request ids now assigned to the scale set (those it already held included, so a retry is
   *  harmless); ids of other scale sets, unknown or finished jobs, and those beyond capacity are left out. */
  acquire(set: ScaleSetRecord, requestIds: readonly number[]): number[] {
    const got: number[] = [];
    let room = this.room(set);
    for (const id of requestIds) {
      const t = this.byRequest.get(id);
      if (!t || t.scaleSetId !== set.id) continue;
      if (t.state === "available") {
        if (room <= 0) continue;
        this.assign(t);
        room--;
      }
      got.push(id);
    }
    return got;
  }

  /** A poll reported capacity, or a job left: in direct assignment, waiting jobs may now be assigned. */
  capacityChanged(set: ScaleSetRecord): void {
    if (this.d.options().assignment !== "direct") return;
    let room = this.room(set);
    for (const t of this.of(set).filter((j) => j.state === "available")) {
      if (room-- <= 0) return;
      this.assign(t);
    }
  }

  /** Takes charge of queued jobs a new or changed scale set now targets. */
  adopt(set: ScaleSetRecord): void {
    for (const job of [...this.d.state.jobs.values()].sort((a, b) => a.queuedSeq - b.queuedSeq)) {
      if (job.status !== "queued" || this.byJob.has(job.id)) continue;
      if (this.d.registry.targetOf(job)?.id === set.id) this.dispatch(this.track(job, set));
    }
  }

  /** The scale set is gone: its jobs not yet running go back to the queue (another scale set, or runners by label,
   *  may take them); running ones finish as they are. */
  release(set: ScaleSetRecord): void {
    for (const t of this.of(set).filter((j) => j.state !== "running")) {
      this.disarm(t);
      this.untrack(t);
      const job = this.d.state.jobs.get(t.jobId);
      if (job) this.observe(job, "queued");
    }
    this.d.assignRunners();
  }

  statistics(set: ScaleSetRecord): Statistics {
    const jobs = this.of(set);
    const count = (...states: ScaleSetJob["state"][]) => jobs.filter((j) => states.includes(j.state)).length;
    const runners = [...this.d.state.runners.values()].filter((r) => r.scaleSetId === set.id);
    return {
      totalAvailableJobs: count("available"),
      totalAcquiredJobs: count("assigned"),
      totalAssignedJobs: count("assigned", "running"),
      totalRunningJobs: count("running"),
      totalRegisteredRunners: runners.length,
      totalBusyRunners: runners.filter((r) => r.jobId !== null).length,
      totalIdleRunners: runners.filter((r) => r.sessionId !== null && r.jobId === null).length,
    };
  }

  view(): ScaleSetJobView[] {
    return [...this.byJob.values()].map((t) => ({
      jobId: t.jobId,
      scaleSetId: t.scaleSetId,
      runnerRequestId: t.requestId,
      state: t.state,
      requeues: t.requeues,
    }));
  }

  close(): void {
    for (const t of this.byJob.values()) this.disarm(t);
  }

  private of(set: ScaleSetRecord): ScaleSetJob[] {
    return [...this.byJob.values()].filter((t) => t.scaleSetId === set.id).sort((a, b) => a.requestId - b.requestId);
  }

  private track(job: JobRecord, set: ScaleSetRecord): ScaleSetJob {
    const t: ScaleSetJob = {
      jobId: job.id,
      scaleSetId: set.id,
      requestId: this.nextRequestId++,
      guid: randomUUID(),
      state: "available",
      requeues: 0,
      assignedAt: null,
      runnerAssignedAt: null,
      timer: null,
    };
    this.byJob.set(job.id, t);
    this.byRequest.set(t.requestId, t);
    return t;
  }

  private untrack(t: ScaleSetJob): void {
    this.byJob.delete(t.jobId);
    this.byRequest.delete(t.requestId);
  }

  /** An available job: offered (acquire) or assigned when there is room (direct). */
  private dispatch(t: ScaleSetJob): void {
    const set = this.d.registry.sets.get(t.scaleSetId);
    if (!set) return;
    if (this.d.options().assignment === "direct") {
      if (this.room(set) > 0) this.assign(t);
      return;
    }
    this.emit("JobAvailable", t);
    this.arm(t);
  }

  private assign(t: ScaleSetJob): void {
    this.disarm(t);
    t.state = "assigned";
    t.assignedAt = this.d.clock.now();
    this.emit("JobAssigned", t);
    this.arm(t);
    this.d.assignRunners();
  }

  /** How many more jobs the scale set may be assigned: its capacity less those assigned or running. */
  private room(set: ScaleSetRecord): number {
    if (set.maxCapacity === null) return Infinity;
    return set.maxCapacity - this.of(set).filter((j) => j.state !== "available").length;
  }

  private arm(t: ScaleSetJob): void {
    this.disarm(t);
    const { requeueAfterMs, maxRequeues } = this.d.options();
    if (t.requeues >= maxRequeues) return;
    t.timer = this.d.clock.setTimeout(() => this.requeue(t), requeueAfterMs);
  }

  private disarm(t: ScaleSetJob): void {
    if (t.timer) this.d.clock.clearTimeout(t.timer);
    t.timer = null;
  }

  private requeue(t: ScaleSetJob): void {
    t.timer = null;
    if (this.byJob.get(t.jobId) !== t || t.state === "running") return;
    t.requeues++;
    t.state = "available";
    t.assignedAt = null;
    this.dispatch(t);
  }

  private emit(type: JobMessageType, t: ScaleSetJob): void {
    const job = this.d.state.jobs.get(t.jobId);
    if (!job) return;
    const run = this.d.state.runs.get(job.runId);
    this.d.publish(t.scaleSetId, jobMessage(type, { site: this.d.site, serviceUrl: this.d.serviceUrl }, t, job, run), t.jobId);
  }
}
