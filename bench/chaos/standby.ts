/**
 * The chaos run with standby runners (`npm run chaos -- --standby`, issue 14 point 6; docs/standby.md). tornade keeps
 * standbys of the workload's shapes, and on top of the usual faults the handoff is attacked where it can break:
 *
 * - a standby killed while it waits (its container crashes), and a Spot standby interrupted while it waits;
 * - a standby killed during its handoff: its container dies the moment its JIT config is written, before it reads it;
 * - a handoff message lost: the parameter deleted as soon as it is written, so the standby never reads it;
 * - a handoff message duplicated: the write lands but its answer is lost, so the SDK writes the same config again
 *   (once: tornade carries on; on every attempt: tornade's handoff fails although the config landed);
 * - tornade SIGKILLed mid-handoff: the moment a standby's config is written, before tornade hears the answer.
 *
 * Everything is seen from the simulators only: the AWS simulator's request hooks show which task or build is a
 * standby (its environment), which parameter it waits on and which runner's config was written there. That gives the
 * hit rate (jobs that ran on a standby) and tells the launch accounting which job a standby's task served.
 */
import type { TestBed } from "../../testbed/index.js";
import type { RequestRecord, ResponseRecord } from "../../testbed/aws/index.js";
import { JIT_PARAMETER_ENV, STANDBY_UNTIL_ENV } from "../../src/core/runner-env.js";
import { faultCount, prng, type ChaosPlan } from "./plan.js";
import { jitRunnerName } from "./runner-name.js";

/** Shapes like the workload's (plan.ts JOB_KINDS): Spot the largest, as its share of jobs. */
export const DEFAULT_STANDBY_SHAPES = "FARGATE_SPOT/X86_64=6,FARGATE/X86_64=3,FARGATE/ARM64=2,CODEBUILD/X86_64=2";

/** The same shapes at count 0: what the run ends with, so tornade retires every standby (nothing may be left). */
export function standbysOff(shapes: string): string {
  return shapes
    .split(",")
    .map((s) => s.trim().replace(/=\d+$/, "=0"))
    .join(",");
}

/**
 * Handoff faults hit every `every`-th handoff, at its own `at` (the first one early, so even a small run has each):
 * counted in handoffs, not drawn, because a handoff's parameter name holds the clock time and so differs between runs.
 */
export interface EveryNth {
  every: number;
  at: number;
}

/** Whether the `n`-th (from 1) of its kind is one `e` hits. */
export const everyNth = (e: EveryNth, n: number): boolean => n % e.every === e.at % e.every;

export interface StandbyFaultRates {
  /** Handoffs whose parameter is deleted as soon as it is written (the message lost). */
  handoffLost: EveryNth;
  /** Handoffs whose standby's container dies as its config is written (ECS standbys). */
  killedInHandoff: EveryNth;
  /** Handoffs whose write lands but whose answer is lost once: the SDK writes the same config again. */
  writtenTwice: EveryNth;
  /** Handoffs whose write lands but every answer is lost: tornade's handoff fails after the config landed. */
  writeFailedAfterLanding: EveryNth;
  /** Handoffs at whose write tornade is SIGKILLed, before it hears the answer; at most `controllerKills` of them. */
  controllerKilledAt: EveryNth;
  controllerKills: number;
  /** Waiting standbys whose container crashes, and waiting Spot standbys interrupted: per job planned. */
  killedWaiting: number;
  spotInterruptedWaiting: number;
}

export const DEFAULT_STANDBY_RATES: StandbyFaultRates = {
  handoffLost: { every: 20, at: 3 },
  killedInHandoff: { every: 20, at: 8 },
  writtenTwice: { every: 25, at: 13 },
  writeFailedAfterLanding: { every: 40, at: 18 },
  controllerKilledAt: { every: 30, at: 26 },
  controllerKills: 2,
  killedWaiting: 0.01,
  spotInterruptedWaiting: 0.01,
};

export interface StandbyFaultCounts {
  handoffs: number;
  handoffsLost: number;
  killedInHandoff: number;
  writtenTwice: number;
  writeFailedAfterLanding: number;
  controllerKillsMidHandoff: number;
  killedWaiting: number;
  spotInterruptedWaiting: number;
}

interface Standby {
  /** Task ARN (ECS) or build id (CodeBuild). */
  id: string;
  ecs: boolean;
  /** The runner its handed config names, once one was written to its parameter. */
  handed?: string;
}

/** One SIGKILL of tornade now (synchronously, so it dies before hearing the answer); false when not possible now. */
export type KillController = () => boolean;

export class StandbyWatch {
  readonly counts: StandbyFaultCounts = {
    handoffs: 0,
    handoffsLost: 0,
    killedInHandoff: 0,
    writtenTwice: 0,
    writeFailedAfterLanding: 0,
    controllerKillsMidHandoff: 0,
    killedWaiting: 0,
    spotInterruptedWaiting: 0,
  };
  /** Standbys by the parameter each waits on. */
  private readonly byParameter = new Map<string, Standby>();
  /** Parameters whose handoff was counted (and drew its fault): one handoff per standby, however often written. */
  private readonly drawn = new Set<string>();
  /**
   * Handoff faults due and not yet injected. Each handoff takes at most one; a fault that cannot be injected where it
   * falls — two due at one handoff, a kill on a CodeBuild standby (the test bed kills task containers) or on one still
   * booting, a SIGKILL while tornade is restarting — is owed to the next handoffs, so every fault is injected in a run
   * with enough handoffs however the load reorders them (a CI run under the whole suite once got none "written twice").
   */
  private readonly owed = new Set<HandoffFault>();
  private pendingStart: { parameter: string; ecs: boolean } | undefined;
  private pendingWrite: { parameter: string; runner: string; fault: "lost" | "kill" | undefined } | undefined;
  private readonly waitingKills: { at: number; spot: boolean }[] = [];
  private killsLeft: number;
  private readonly rnd: () => number;
  private stopped = false;
  private readonly start: number;

  /** `faults` null: only watch (the baseline). `kill` SIGKILLs tornade (run.ts), for a kill mid-handoff. */
  constructor(
    private readonly bed: TestBed,
    private readonly plan: ChaosPlan,
    private readonly faults: StandbyFaultRates | null,
    private readonly kill?: KillController,
  ) {
    this.rnd = prng(plan.seed ^ 0x57a4d);
    this.start = bed.clock.now();
    this.killsLeft = faults?.controllerKills ?? 0;
    if (faults) {
      const jobs = plan.runs.flatMap((r) => r.jobs);
      // While jobs arrive and run: standbys are waiting then (each kill waits for a victim if there is none yet).
      const span = plan.arrivalSeconds + Math.max(0, ...jobs.map((j) => j.durationSeconds));
      const at = () => this.start + Math.floor(this.rnd() * span * 1000);
      for (let i = faultCount(faults.killedWaiting, jobs.length); i > 0; i--) this.waitingKills.push({ at: at(), spot: false });
      for (let i = faultCount(faults.spotInterruptedWaiting, jobs.length); i > 0; i--) this.waitingKills.push({ at: at(), spot: true });
      this.waitingKills.sort((a, b) => a.at - b.at);
    }
  }

  /** The AWS simulator's request hook (startTestBed aws.onRequest). Runs before the call takes effect. */
  onRequest(r: RequestRecord): void {
    if (r.service === "ecs" && r.operation === "RunTask") this.pendingStart = standbyOf(ecsEnv(r.body), true);
    if (r.service === "codebuild" && r.operation === "StartBuild") this.pendingStart = standbyOf(buildEnv(r.body), false);
    if (r.service !== "ssm" || r.operation !== "PutParameter") return;
    const body = r.body as { Name?: unknown; Value?: unknown };
    const standby = typeof body.Name === "string" ? this.byParameter.get(body.Name) : undefined;
    if (!standby || typeof body.Name !== "string" || typeof body.Value !== "string") return;
    const parameter = body.Name;
    this.pendingWrite = { parameter, runner: jitRunnerName(body.Value) ?? "?", fault: undefined };
    // A repeated write (the SDK's retry after a lost answer) is no new handoff, and gets no new fault.
    if (this.drawn.has(parameter)) return;
    this.drawn.add(parameter);
    this.counts.handoffs++;
    if (!this.faults || this.stopped) return;
    const f = this.faults;
    const n = this.counts.handoffs;
    const hit = (e: EveryNth) => everyNth(e, n);
    if (hit(f.handoffLost)) this.owed.add("lost");
    if (hit(f.killedInHandoff)) this.owed.add("kill");
    if (hit(f.writtenTwice)) this.owed.add("twice");
    if (hit(f.writeFailedAfterLanding)) this.owed.add("failed");
    if (this.killsLeft > 0 && hit(f.controllerKilledAt)) this.owed.add("controller");
    const take = (fault: HandoffFault) => this.owed.delete(fault);
    if (take("lost")) this.pendingWrite.fault = "lost";
    else if (standby.ecs && take("kill")) this.pendingWrite.fault = "kill";
    else if (take("twice")) this.loseAnswers(1);
    else if (take("failed")) this.loseAnswers(SDK_ATTEMPTS);
    else if (this.owed.has("controller")) {
      // The write lands (the request is in), but tornade is gone before it hears the answer. Refused (tornade is
      // restarting, or only just up): the next handoff gets it.
      if (!this.kill?.()) return;
      take("controller");
      this.killsLeft--;
      this.counts.controllerKillsMidHandoff++;
    }
  }

  /** The AWS simulator's answer hook (aws.onResponse): the call took effect; its answer is not sent yet. */
  onResponse(r: ResponseRecord): void {
    if (r.service === "ecs" && r.operation === "RunTask" && this.pendingStart) {
      const arn = (r.body as { tasks?: { taskArn?: string }[] }).tasks?.[0]?.taskArn;
      if (arn) this.byParameter.set(this.pendingStart.parameter, { id: arn, ecs: true });
    }
    if (r.service === "codebuild" && r.operation === "StartBuild" && this.pendingStart) {
      const id = (r.body as { build?: { id?: string } }).build?.id;
      if (id) this.byParameter.set(this.pendingStart.parameter, { id, ecs: false });
    }
    if (r.service === "ecs" || r.service === "codebuild") this.pendingStart = undefined;
    if (r.service !== "ssm" || r.operation !== "PutParameter" || !this.pendingWrite) return;
    const w = this.pendingWrite;
    this.pendingWrite = undefined;
    const standby = this.byParameter.get(w.parameter);
    if (!standby) return;
    standby.handed = w.runner;
    const aws = this.bed.aws.control;
    // Not injected (a standby handed a job while still booting has no container to kill yet): owed to the next.
    if (w.fault === "lost") {
      if (aws.deleteParameter(w.parameter)) this.counts.handoffsLost++;
      else this.owed.add("lost");
    }
    if (w.fault === "kill") {
      if (aws.killContainer(standby.id)) this.counts.killedInHandoff++;
      else this.owed.add("kill");
    }
  }

  /** Kills and interrupts waiting standbys when due; called by the run loop. */
  tick(): void {
    if (this.stopped) return;
    const now = this.bed.clock.now();
    for (const k of this.waitingKills.filter((x) => x.at <= now)) {
      const waiting = this.waitingTasks(k.spot);
      const victim = waiting[Math.floor(this.rnd() * waiting.length)];
      // None waiting now: the next tick tries again.
      if (!victim) continue;
      this.waitingKills.splice(this.waitingKills.indexOf(k), 1);
      const aws = this.bed.aws.control;
      if (k.spot) {
        if (aws.interruptSpot(victim).length > 0) this.counts.spotInterruptedWaiting++;
      } else if (aws.killContainer(victim)) this.counts.killedWaiting++;
    }
  }

  /** No new faults from here on. */
  stop(): void {
    this.stopped = true;
  }

  /** The runner whose config was handed to the standby waiting on this parameter, if one was. */
  handedTo(env: Record<string, string>): string | undefined {
    const p = env[JIT_PARAMETER_ENV];
    return p === undefined ? undefined : this.byParameter.get(p)?.handed;
  }

  /** Every runner name handed to a standby: a job whose runner is one of these was served warm. */
  handedRunners(): Set<string> {
    return new Set([...this.byParameter.values()].flatMap((s) => (s.handed ? [s.handed] : [])));
  }

  /** Standby tasks and builds started (AWS accepted them). */
  started(): number {
    return this.byParameter.size;
  }

  private waitingTasks(spot: boolean): string[] {
    const waiting = new Set([...this.byParameter.values()].filter((s) => s.ecs && !s.handed).map((s) => s.id));
    return this.bed.aws.control
      .listTasks()
      .filter((t) => waiting.has(t.taskArn) && t.lastStatus === "RUNNING" && t.desiredStatus === "RUNNING" && (!spot || t.capacity === "FARGATE_SPOT"))
      .map((t) => t.taskArn);
  }

  private loseAnswers(times: number): void {
    // Armed before the call takes effect (this hook runs first), so it is this very write whose answers are lost.
    this.bed.aws.control.failNext({ service: "ssm", operation: "PutParameter", error: "InternalServerError", times, afterApplying: true });
    if (times === 1) this.counts.writtenTwice++;
    else this.counts.writeFailedAfterLanding++;
  }
}

type HandoffFault = "lost" | "kill" | "twice" | "failed" | "controller";

/** The AWS SDK's default attempts (tornade's SSM client keeps it): every one of them answered an error. */
const SDK_ATTEMPTS = 3;

function standbyOf(env: Record<string, string>, ecs: boolean): { parameter: string; ecs: boolean } | undefined {
  const parameter = env[JIT_PARAMETER_ENV];
  return env[STANDBY_UNTIL_ENV] && parameter ? { parameter, ecs } : undefined;
}

function pairs(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const e of list as { name?: unknown; value?: unknown }[]) if (typeof e.name === "string" && typeof e.value === "string") out[e.name] = e.value;
  return out;
}

function ecsEnv(body: unknown): Record<string, string> {
  const o = body as { overrides?: { containerOverrides?: { environment?: unknown }[] } };
  return pairs(o.overrides?.containerOverrides?.[0]?.environment);
}

function buildEnv(body: unknown): Record<string, string> {
  return pairs((body as { environmentVariablesOverride?: unknown }).environmentVariablesOverride);
}

