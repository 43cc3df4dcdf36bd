/**
 * Injects a chaos plan's faults into a test bed through its control APIs (docs/testbed.md "Control APIs"):
 * webhooks dropped (some leaving a failed delivery GitHub can redeliver, some without a trace), duplicated and
 * reordered; FARGATE_SPOT capacity shortages; Spot interruptions of tasks whose job is running; GitHub 5xx answers.
 * Which delivery or job a fault hits is a keyed draw from the seed (plan.ts keyedUnit), so it does not depend on the
 * order in which events happen to arrive.
 */
import type { TestBed } from "../../testbed/index.js";
import type { DeliveryInfo } from "../../testbed/github/webhooks.js";
import { REGISTRATION_PATH } from "../../testbed/github/scaleset/service.js";
import { runnerNameOf } from "./runner-name.js";
import type { StandbyWatch } from "./standby.js";
import { keyedUnit, prng, type ChaosPlan, type FaultRates, type PlannedJob } from "./plan.js";

export interface FaultCounts {
  webhooksDropped: number;
  webhooksDroppedUntraced: number;
  webhooksDuplicated: number;
  reorderBursts: number;
  spotCapacityFailures: number;
  spotInterruptions: number;
  /** Planned interruptions whose job ended first, or ran on on-demand capacity with no unfinished Spot job to move to. */
  spotInterruptionsMissed: number;
  /** Planned interruptions moved to another Spot job because theirs ran on on-demand capacity. */
  spotInterruptionsMoved: number;
  github5xx: number;
  restarts: number;
  /** Simulated seconds tornade was down at each restart (planned pause plus process start-up). */
  downSeconds: number[];
}

export const noFaults = (): FaultCounts => ({
  webhooksDropped: 0,
  webhooksDroppedUntraced: 0,
  webhooksDuplicated: 0,
  reorderBursts: 0,
  spotCapacityFailures: 0,
  spotInterruptions: 0,
  spotInterruptionsMissed: 0,
  spotInterruptionsMoved: 0,
  github5xx: 0,
  restarts: 0,
  downSeconds: [],
});

/**
 * The endpoint templates tornade calls are GitHub's REST routes; the sim's own (/_runner, /_control) are not, nor the
 * scale set service's (/_actions/…, counted as /_apis/…, and the registration exchange it answers on the REST root).
 */
const isRestRoute = (key: string) => {
  const route = key.split(" ")[1] ?? "";
  return !route.startsWith("/_") && route !== REGISTRATION_PATH;
};

const STATUS_5XX = [500, 502, 503] as const;

/**
 * Arms one-shot 5xx answers until `armed` reaches `share` of the calls made so far (`requests`: "METHOD route" → calls),
 * each on a route drawn by its share of the calls, through `fail`. Returns how many are armed now.
 */
export function armShare(
  requests: [string, number][],
  share: number,
  armed: number,
  rnd: () => number,
  fail: (f: { method: string; route: string; status: number }) => void,
): number {
  const total = requests.reduce((s, [, n]) => s + n, 0);
  let count = armed;
  while (count < Math.floor(total * share)) {
    let x = rnd() * total;
    const [key] = requests.find(([, n]) => (x -= n) < 0) ?? requests[0] ?? [""];
    const [method = "GET", route = "/"] = key.split(" ");
    fail({ method, route, status: STATUS_5XX[Math.floor(rnd() * STATUS_5XX.length)] ?? 502 });
    count++;
  }
  return count;
}

interface Interruption {
  /** The job, with the share of its run after which the notice comes (moved with the interruption when retargeted). */
  job: PlannedJob;
  jobId: number;
  done: boolean;
}

export class FaultInjector {
  readonly counts = noFaults();
  private readonly rnd: () => number;
  private readonly start: number;
  private capacityArmed = 0;
  private nextBurst = 0;
  private nextReorderAt: number;
  private readonly interruptions: Interruption[] = [];
  /** Every Spot job queued so far, so an interruption whose job landed on on-demand capacity can move to another. */
  private readonly spotJobs = new Map<number, PlannedJob>();
  private readonly agentByTask = new Map<string, string>();
  private stopped = false;

  constructor(
    private readonly bed: TestBed,
    private readonly plan: ChaosPlan,
    private readonly rates: FaultRates,
    /** With standbys: a standby's task runs the runner whose config was handed to it. */
    private readonly standbys?: Pick<StandbyWatch, "handedTo">,
  ) {
    this.rnd = prng(plan.seed ^ 0x5eed);
    this.start = bed.clock.now();
    this.nextReorderAt = this.start + rates.reorderEverySeconds * 1000;
  }

  /** Arms the webhook faults; call before the first run is queued. */
  install(): void {
    const gh = this.bed.github.control;
    const { seed } = this.plan;
    const r = this.rates;
    const jobEvent = (d: DeliveryInfo) => d.event === "workflow_job" && d.jobId !== null;
    // One draw per delivery (job id + action) decides drop, untraced drop and duplicate, so the shares are exact
    // in expectation and independent of timing.
    const draw = (d: DeliveryInfo) => keyedUnit(seed, `webhook|${d.jobId}|${d.action}`);
    gh.dropDeliveries(
      (d) => {
        if (this.stopped || !jobEvent(d) || draw(d) >= r.dropWebhooks * (1 - r.untracedShare)) return false;
        this.counts.webhooksDropped++;
        return true;
      },
      { record: true },
    );
    gh.dropDeliveries(
      (d) => {
        const x = draw(d);
        if (this.stopped || !jobEvent(d) || x < r.dropWebhooks * (1 - r.untracedShare) || x >= r.dropWebhooks) return false;
        this.counts.webhooksDroppedUntraced++;
        return true;
      },
      { record: false },
    );
    gh.duplicateDeliveries((d) => {
      if (this.stopped || !jobEvent(d) || keyedUnit(seed, `duplicate|${d.jobId}|${d.action}`) >= r.duplicateWebhooks) return false;
      this.counts.webhooksDuplicated++;
      return true;
    });
  }

  /** Remembers which GitHub job a planned Spot interruption is for, once its run is queued. */
  track(job: PlannedJob, jobId: number): void {
    if (job.spot) this.spotJobs.set(jobId, job);
    if (job.interruptAtFraction !== null) this.interruptions.push({ job, jobId, done: false });
  }

  /** Arms whatever is due now; called every few real milliseconds by the run loop. */
  tick(): void {
    if (this.stopped) return;
    const now = this.bed.clock.now();
    this.armCapacity(now);
    this.armReorder(now);
    this.armGitHub5xx();
    this.interruptDue(now);
  }

  /** No new faults from here on (the drain is measured; what is already armed stays armed). */
  stop(): void {
    this.stopped = true;
  }

  /** Capacity failures actually answered: armed minus what is still waiting for a Spot RunTask. */
  finish(): FaultCounts {
    const left = this.bed.aws.control.state().shortages.filter((s) => s.capacityProvider === "FARGATE_SPOT");
    const remaining = left.reduce((s, x) => s + (typeof x.remaining === "number" ? x.remaining : 0), 0);
    this.counts.spotCapacityFailures = this.capacityArmed - remaining;
    this.counts.spotInterruptionsMissed += this.interruptions.filter((i) => !i.done).length;
    return { ...this.counts };
  }

  private armCapacity(now: number): void {
    const aws = this.bed.aws.control;
    for (let b = this.plan.capacityBursts[this.nextBurst]; b && now >= this.start + b.atSeconds * 1000; b = this.plan.capacityBursts[++this.nextBurst]) {
      // capacityShortage replaces the provider's shortage, so carry over what the previous burst has not used yet.
      const left = aws.state().shortages.find((s) => s.capacityProvider === "FARGATE_SPOT")?.remaining;
      aws.capacityShortage({ capacityProvider: "FARGATE_SPOT", times: (typeof left === "number" ? left : 0) + b.times });
      this.capacityArmed += b.times;
    }
  }

  private armReorder(now: number): void {
    if (this.rates.reorderEverySeconds <= 0 || now < this.nextReorderAt) return;
    this.nextReorderAt = now + this.rates.reorderEverySeconds * 1000;
    // Held until 2–5 deliveries are collected or 3 s pass, then sent in reverse order.
    this.bed.github.control.reorderDeliveries(2 + Math.floor(this.rnd() * 4), 3_000);
    this.counts.reorderBursts++;
  }

  /** Keeps the 5xx answers at the configured share of tornade's REST requests, spread over the routes it uses. */
  private armGitHub5xx(): void {
    if (this.rates.github5xx <= 0) return;
    const requests = Object.entries(this.bed.github.control.stats().requests).filter(([k]) => isRestRoute(k));
    this.counts.github5xx = armShare(requests, this.rates.github5xx, this.counts.github5xx, this.rnd, (f) => this.bed.github.control.failEndpoint({ ...f, times: 1 }));
  }

  /** Sends the Spot notice to the task running a planned job, once the planned share of the job has run. */
  private interruptDue(now: number): void {
    const gh = this.bed.github.control;
    for (const i of this.interruptions) {
      if (i.done) continue;
      const job = gh.getJob(i.jobId);
      if (!job || job.status === "completed") continue;
      if (job.status !== "in_progress" || !job.runner_name) continue;
      const due = Date.parse(job.started_at) + (i.job.interruptAtFraction ?? 0) * i.job.durationSeconds * 1000;
      if (now < due) continue;
      const running = this.bed.aws.control.listTasks().filter((t) => t.lastStatus === "RUNNING");
      const task = running.find((t) => this.agentName(t.taskArn, t.env) === job.runner_name);
      if (task && task.capacity !== "FARGATE_SPOT" && this.retarget(i, running)) continue;
      i.done = true;
      if (task?.capacity === "FARGATE_SPOT" && this.bed.aws.control.interruptSpot(task.taskArn).length > 0) this.counts.spotInterruptions++;
      else this.counts.spotInterruptionsMissed++;
    }
  }

  /**
   * The planned job runs on on-demand capacity: tornade fell back after a Spot capacity failure, or (through a scale
   * set, whose runners are interchangeable) the job was taken by the runner a fallback started. Nothing can interrupt
   * it, so the interruption moves to a Spot job not yet finished and not already planned; a small run plans one or
   * two, and a run whose only interruption missed would prove nothing about Spot re-runs.
   */
  private retarget(i: Interruption, running: readonly { taskArn: string; capacity?: string; env: Record<string, string> }[]): boolean {
    const planned = new Set(this.interruptions.map((x) => x.jobId));
    const onDemand = new Set(running.filter((t) => t.capacity !== "FARGATE_SPOT").map((t) => this.agentName(t.taskArn, t.env)));
    for (const [jobId, job] of this.spotJobs) {
      const now = this.bed.github.control.getJob(jobId);
      // Queued, or running on a Spot task: a job already on on-demand capacity would only move it again.
      if (planned.has(jobId) || !now || now.status === "completed" || (now.runner_name && onDemand.has(now.runner_name))) continue;
      i.jobId = jobId;
      i.job = { ...job, interruptAtFraction: i.job.interruptAtFraction };
      this.counts.spotInterruptionsMoved++;
      return true;
    }
    return false;
  }

  private agentName(taskArn: string, env: Record<string, string>): string | undefined {
    const handed = this.standbys?.handedTo(env);
    if (handed) return handed;
    let name = this.agentByTask.get(taskArn);
    if (name === undefined) {
      name = runnerNameOf(env);
      if (name !== undefined) this.agentByTask.set(taskArn, name);
    }
    return name;
  }
}
