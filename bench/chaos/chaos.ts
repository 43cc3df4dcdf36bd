/**
 * The chaos run (issue 4 point 12): the same planned jobs twice in one invocation — first with no faults (the
 * baseline drain time), then with every fault injected and tornade SIGKILLed and restarted — and one report.
 */
import { DEFAULT_RATES, makePlan, type FaultRates, type Intake } from "./plan.js";
import type { FaultCounts } from "./faults.js";
import type { LaunchAccount } from "./launches.js";
import type { LostJob } from "./measure.js";
import { runOnce, type RunResult } from "./run.js";
import { DEFAULT_STANDBY_RATES, type StandbyFaultCounts, type StandbyFaultRates } from "./standby.js";
import type { StandbyAccount } from "./measure.js";
import { CHAOS_SCALE_SETS, DEFAULT_SCALE_SET_RATES, type ScaleSetFaultCounts, type ScaleSetFaultRates } from "./scale-set.js";

/** With scale-set intake no webhook is sent: the webhook faults have nothing to hit, and are off. */
export const SCALE_SET_INTAKE_RATES: FaultRates = { ...DEFAULT_RATES, dropWebhooks: 0, untracedShare: 0, duplicateWebhooks: 0, reorderEverySeconds: 0 };

export interface ChaosOptions {
  jobs: number;
  seed: number;
  speed: number;
  rates?: FaultRates;
  env?: Record<string, string>;
  /** TORNADE_POOL for tornade, e.g. "FARGATE/X86_64=2": static jobs then count (served only by a pool runner). */
  staticPool?: string;
  logFile?: string;
  /** Standby runners of these shapes (TORNADE_STANDBY), and the standby faults in the chaos run (standby.ts). */
  standby?: { shapes: string; rates?: StandbyFaultRates };
  /** Where jobs come from; default webhooks. "scale-set": tornade listens to two scale sets (scale-set.ts). */
  intake?: Intake;
  /** With scale-set intake: the message and session faults; default DEFAULT_SCALE_SET_RATES. */
  scaleSetRates?: ScaleSetFaultRates;
  /** Default 30 simulated minutes without a job settling. */
  stallSeconds?: number;
  /** Default 15 simulated minutes. */
  graceSeconds?: number;
  progress?: (line: string) => void;
}

/** The JSON the chaos run writes. The first eight keys are the ones issue 4 names; the rest explain them. */
export interface ChaosReport {
  jobs: number;
  completed: number;
  lost: number;
  reruns: number;
  extraLaunches: number;
  orphans: number;
  drainSeconds: number;
  faultFreeDrainSeconds: number;
  seed: number;
  speed: number;
  drained: boolean;
  intake: Intake;
  /** The static pool tornade ran with; null = none, and static jobs are reported apart, not counted in jobs/lost. */
  staticPool: string | null;
  staticJobs: number;
  staticUnserved: number;
  rerunsRefused: number;
  launchCalls: number;
  /** Where every launch went: calls, refused calls, runners started, runners that ran a job, extra ones by reason. */
  launches: LaunchAccount;
  orphanTasks: number;
  orphanBuilds: number;
  orphanRunners: number;
  orphanDetails: string[];
  /** Unread JIT parameters in Parameter Store at the end; they expire on their own (measure.ts). */
  jitParametersLeft: number;
  jitParametersLeftNames: string[];
  /** JIT configs presented twice to open a runner session, from the GitHub sim: must be 0 (named in jitConfigReusedBy). */
  jitConfigReuses: number;
  jitConfigReusedBy: string[];
  /** With --standby: the shapes, standbys started and handed off, jobs served warm, the hit rate, standbys left. */
  standby: (StandbyAccount & { shapes: string; faults: StandbyFaultCounts | null }) | null;
  /** With scale-set intake: the scale sets (TORNADE_SCALE_SETS) and the message and session faults injected. */
  scaleSet: { sets: string; faults: ScaleSetFaultCounts | null } | null;
  pickupSeconds: { p50: number; p95: number; max: number };
  faults: FaultCounts;
  /** Every job not served, with the simulators' evidence of why. */
  lostJobs: LostJob[];
  /** The jobs the drain waited for longest. */
  lastSettled: RunResult["lastSettled"];
  baseline: {
    completed: number;
    lost: number;
    extraLaunches: number;
    orphans: number;
    drained: boolean;
    pickupSeconds: { p50: number; p95: number; max: number };
    jitConfigReuses: number;
    /** With --standby: the baseline's hit rate and standby figures. */
    standby: StandbyAccount | null;
    /** A job the fault-free run did not serve points at the harness or the plan, not at a fault: shown the same way. */
    lostJobs: LostJob[];
  };
  realSeconds: number;
}

export interface ChaosOutcome {
  report: ChaosReport;
  baseline: RunResult;
  chaos: RunResult;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosOutcome> {
  const intake = opts.intake ?? "webhooks";
  const rates = opts.rates ?? (intake === "scale-set" ? SCALE_SET_INTAKE_RATES : DEFAULT_RATES);
  const plan = makePlan({ jobs: opts.jobs, seed: opts.seed, rates, intake });
  const say = opts.progress ?? (() => {});
  const common = {
    plan,
    speed: opts.speed,
    stallSeconds: opts.stallSeconds ?? 1800,
    graceSeconds: opts.graceSeconds ?? 900,
    progress: say,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.staticPool ? { staticPool: opts.staticPool } : {}),
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
  };
  const standby = opts.standby;
  const standbyRates = standby?.rates ?? DEFAULT_STANDBY_RATES;
  const scaleSets = intake === "scale-set" ? { sets: CHAOS_SCALE_SETS, rates: opts.scaleSetRates ?? DEFAULT_SCALE_SET_RATES } : undefined;
  say(`fault-free baseline: ${opts.jobs} jobs in ${plan.runs.length} runs through ${intake}, seed ${opts.seed}, speed ${opts.speed}`);
  const baseline = await runOnce({
    ...common,
    faults: null,
    ...(standby ? { standby: { shapes: standby.shapes, rates: null } } : {}),
    ...(scaleSets ? { scaleSets: { sets: scaleSets.sets, rates: null } } : {}),
  });
  say(`chaos: the same jobs with faults, ${rates.restarts} kills`);
  const chaos = await runOnce({
    ...common,
    faults: { rates },
    ...(standby ? { standby: { shapes: standby.shapes, rates: standbyRates } } : {}),
    ...(scaleSets ? { scaleSets } : {}),
  });
  const report: ChaosReport = {
    jobs: chaos.jobs,
    completed: chaos.completed,
    lost: chaos.lost,
    reruns: chaos.reruns,
    extraLaunches: chaos.extraLaunches,
    orphans: chaos.orphans,
    drainSeconds: chaos.drainSeconds,
    faultFreeDrainSeconds: baseline.drainSeconds,
    seed: opts.seed,
    speed: opts.speed,
    drained: chaos.drained,
    intake,
    staticPool: opts.staticPool ?? null,
    staticJobs: chaos.staticJobs,
    staticUnserved: chaos.staticUnserved,
    rerunsRefused: chaos.rerunsRefused,
    launchCalls: chaos.launchCalls,
    launches: chaos.launches,
    orphanTasks: chaos.orphanTasks,
    orphanBuilds: chaos.orphanBuilds,
    orphanRunners: chaos.orphanRunners,
    orphanDetails: chaos.orphanDetails,
    jitParametersLeft: chaos.jitParametersLeft,
    jitParametersLeftNames: chaos.jitParametersLeftNames,
    jitConfigReuses: chaos.jitConfigReuses,
    jitConfigReusedBy: chaos.jitConfigReusedBy,
    standby: standby && chaos.standbys ? { shapes: standby.shapes, ...chaos.standbys, faults: chaos.standbyFaults ?? null } : null,
    scaleSet: scaleSets ? { sets: scaleSets.sets, faults: chaos.scaleSetFaults ?? null } : null,
    pickupSeconds: chaos.pickupSeconds,
    faults: chaos.faults,
    lostJobs: chaos.lostJobs,
    lastSettled: chaos.lastSettled,
    baseline: {
      completed: baseline.completed,
      lost: baseline.lost,
      extraLaunches: baseline.extraLaunches,
      orphans: baseline.orphans,
      drained: baseline.drained,
      pickupSeconds: baseline.pickupSeconds,
      jitConfigReuses: baseline.jitConfigReuses,
      standby: baseline.standbys ?? null,
      lostJobs: baseline.lostJobs,
    },
    realSeconds: Math.round((baseline.realSeconds + chaos.realSeconds) * 10) / 10,
  };
  return { report, baseline, chaos };
}

/** The table the CLI prints: baseline beside chaos, the faults injected, and the lost jobs grouped by evidence. */
export function formatReport(r: ChaosReport): string {
  const rows: [string, string | number, string | number][] = [
    [r.staticPool ? "jobs" : "jobs (runner jobs)", r.jobs, r.jobs],
    ["completed", r.baseline.completed, r.completed],
    ["lost", r.baseline.lost, r.lost],
    ["re-runs (GitHub API)", "-", r.reruns],
    ["extra launches", r.baseline.extraLaunches, `${r.extraLaunches} (${pct(r.extraLaunches, r.jobs)} of jobs)`],
    ["orphans after drain", r.baseline.orphans, `${r.orphans} (tasks ${r.orphanTasks}, builds ${r.orphanBuilds}, runners ${r.orphanRunners})`],
    ["JIT parameters left (expire)", "-", `${r.jitParametersLeft}${r.jitParametersLeftNames.length ? ` (${r.jitParametersLeftNames.slice(0, 5).join(", ")})` : ""}`],
    ["JIT configs used twice", r.baseline.jitConfigReuses, `${r.jitConfigReuses}${r.jitConfigReusedBy.length ? ` (${r.jitConfigReusedBy.slice(0, 5).join(", ")})` : ""}`],
    ["drain (simulated s)", r.faultFreeDrainSeconds, `${r.drainSeconds}${r.drained ? "" : " (not drained: stalled)"} = ${ratio(r.drainSeconds, r.faultFreeDrainSeconds)}x`],
    ["pickup p50 / p95 / max (s)", fmtPickup(r.baseline.pickupSeconds), fmtPickup(r.pickupSeconds)],
    r.staticPool
      ? ["static jobs unserved", "-", `${r.staticUnserved} of ${r.staticJobs} (pool ${r.staticPool}; counted as lost)`]
      : ["static jobs unserved", "-", `${r.staticUnserved} of ${r.staticJobs} (no static pool: not counted in jobs or lost)`],
  ];
  const sb = r.standby;
  const sb0 = r.baseline.standby;
  if (sb && sb0) {
    rows.push(
      ["standby hit rate (jobs served warm)", `${pct(sb0.servedWarm, r.baseline.completed)} (${sb0.servedWarm})`, `${pct(sb.servedWarm, r.completed)} (${sb.servedWarm})`],
      ["standbys started / handed a job", `${sb0.started} / ${sb0.handedOff}`, `${sb.started} / ${sb.handedOff}`],
      ["standbys left", sb0.left, sb.left],
    );
  }
  const ssf = r.scaleSet?.faults;
  if (ssf) {
    rows.push(
      ["scale set messages published", "-", ssf.messages],
      ["  lost for good / queued twice", "-", `${ssf.messagesLost} / ${ssf.messagesDuplicated}`],
      ["  dropped before ack (answer lost)", "-", ssf.answersLost],
      ["  acks failed on every try", "-", ssf.acksFailed],
      ["  handed again, unacknowledged", "-", ssf.redelivered],
      ["sessions: tokens expired / ended", "-", `${ssf.tokensExpired} / ${ssf.sessionsEnded}`],
      ["sessions: taken by a rogue / 409s", "-", `${ssf.rogueSessions} / ${ssf.sessionConflicts}`],
      ["broker 5xx", "-", ssf.broker5xx],
    );
  }
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max("fault-free".length, ...rows.map((x) => String(x[1]).length));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`;
  const out = [line("", "fault-free", "chaos"), ...rows.map(([a, b, c]) => line(a, String(b), String(c)))];
  const f = r.faults;
  // With scale-set intake no webhook is sent: its faults are the rows above.
  const webhooks = r.scaleSet
    ? `intake scale-set (${r.scaleSet.sets}): `
    : `${f.webhooksDropped} webhooks dropped (+${f.webhooksDroppedUntraced} without a trace), ${f.webhooksDuplicated} duplicated, ${f.reorderBursts} reorder bursts, `;
  out.push(
    "",
    `faults: ${webhooks}${f.spotCapacityFailures} Spot capacity failures, ${f.spotInterruptions} Spot interruptions ` +
      `(${f.spotInterruptionsMissed} missed, ${f.spotInterruptionsMoved} moved), ${f.github5xx} GitHub 5xx, ${f.restarts} SIGKILL restarts (down ${f.downSeconds.join(", ")} s)`,
  );
  const sf = sb?.faults;
  if (sb && sf) {
    out.push(
      `standbys (${sb.shapes}): ${sf.handoffs} handoffs; ${sf.handoffsLost} messages lost, ${sf.killedInHandoff} killed during the handoff, ` +
        `${sf.writtenTwice} written twice, ${sf.writeFailedAfterLanding} failed after landing, ${sf.controllerKillsMidHandoff} SIGKILLs mid-handoff, ` +
        `${sf.killedWaiting} killed and ${sf.spotInterruptedWaiting} Spot-interrupted while waiting`,
    );
  }
  const l = r.launches;
  out.push(
    "",
    `launches: ${l.calls} calls, ${l.refusedCalls} refused (started nothing), ${l.started} runners started, ` +
      `${l.ranAJob} ran a job attempt (first or re-run), ${l.extra} ran none:`,
    ...Object.entries(l.extraByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([why, n]) => `  ${String(n).padStart(4)}  ${why}`),
  );
  if (r.orphanDetails.length > 0) out.push("", "left behind:", ...r.orphanDetails.slice(0, 20).map((d) => `  ${d}`));
  out.push(...lostByEvidence("lost jobs by evidence (fault-free):", r.baseline.lostJobs));
  out.push(...lostByEvidence("lost jobs by evidence:", r.lostJobs));
  out.push(
    "",
    "settled last:",
    ...r.lastSettled.map((j) => `  ${j.name} #${j.jobId}: settled at ${j.settledSeconds} s, ${j.attempts} attempt(s), first attempt picked up after ${j.pickupSeconds ?? "-"} s`),
  );
  out.push("", `seed ${r.seed}, speed ${r.speed}, ${r.realSeconds} s real`);
  return out.join("\n");
}

function lostByEvidence(title: string, lost: LostJob[]): string[] {
  if (lost.length === 0) return [];
  const by = new Map<string, LostJob[]>();
  for (const j of lost) by.set(j.evidence, [...(by.get(j.evidence) ?? []), j]);
  const out = ["", title];
  for (const [why, jobs] of [...by].sort((a, b) => b[1].length - a[1].length)) {
    out.push(`  ${String(jobs.length).padStart(4)}  ${why}`);
    for (const j of jobs.slice(0, 3)) out.push(`        ${j.name} #${j.jobId}: GitHub ${j.github}${j.runner ? ` on ${j.runner}` : ""}, ${j.attempts} attempt(s); tornade: ${j.tornade}`);
  }
  return out;
}

const fmtPickup = (p: { p50: number; p95: number; max: number }) => `${p.p50} / ${p.p95} / ${p.max}`;
const pct = (n: number, d: number) => (d === 0 ? "0 %" : `${Math.round((1000 * n) / d) / 10} %`);
const ratio = (n: number, d: number) => (d === 0 ? "-" : (Math.round((100 * n) / d) / 100).toFixed(2));
