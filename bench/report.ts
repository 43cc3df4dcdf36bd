/** The benchmark report: the JSON the issue asks for (plus the detail behind each figure) and the table beside targets. */
import type { BurstResult } from "./burst.js";
import type { CliStartResult } from "./cli-start.js";
import type { IntakeResult } from "./intake.js";
import type { IoFloorResult } from "./io-floor-stage.js";
import type { PickupResult } from "./pickup.js";
import { kindsLine } from "./scale-set-calls.js";
import type { ScaleSetResult } from "./scale-set.js";
import type { SteadyResult } from "./steady.js";

/** Every stage's key is present after a full run; `--only` leaves out the stages it did not run. */
export interface BenchReport {
  intake?: IntakeResult;
  /** Webhook → RunTask at 100 jobs/s (reported) and at 10 jobs/s (the target). */
  overhead?: Overhead;
  overhead10?: Overhead;
  apiPerJob?: SteadyResult["apiPerJob"] & { jobs: number };
  burst?: { matrix256: BurstResult; burst1000: BurstResult; matrix256ContentLimit?: BurstResult };
  footprint?: { rssMb: number; idleRssMb: number; cpuMsPer1000Jobs: number; rssMbAfter100k: number; historyJobs: number };
  /** bench/io-floor.ts in tornade's place: what the same jobs' I/O costs with nothing else. */
  ioFloor?: IoFloorResult;
  sandboxSeedSeconds?: number;
  cli?: CliStartResult;
  pickup?: PickupResult;
  /** Scale-set mode (issue 15): GitHub calls per job, polls included, and pickup, beside webhook mode's. */
  scaleSet?: ScaleSetResult;
  machine: { nproc: number; memoryMb: number; node: string; cpu: string; quick: boolean; date: string };
}

export interface Overhead {
  p50Ms: number;
  p99Ms: number;
  rawP50Ms: number;
  rawP99Ms: number;
  jitRoundTripMs: number;
  jobs: number;
  speed: number;
  ratePerSecond: number;
}

export interface Row {
  what: string;
  value: string;
  target: string;
  met: boolean | null;
}

export function rows(r: BenchReport): Row[] {
  const burstRow = (name: string, x: BurstResult): Row => ({
    what: `${name} (${x.jobs} jobs): launched / floor`,
    value: `${x.seconds} s / ${x.floorSeconds} s = ${x.ratio}x; throttled ${x.throttled.github}+${x.throttled.aws}; failed ${x.failedJobs}`,
    target: "≤ 1.1x, 0 failed",
    met: x.ratio <= 1.1 && x.failedJobs === 0,
  });
  const out: Row[] = [];
  if (r.intake)
    out.push(
      { what: `intake p50 / p99 at ${r.intake.at}/s`, value: `${r.intake.p50Ms} / ${r.intake.p99Ms} ms`, target: "p99 ≤ 10 ms", met: r.intake.p99Ms <= 10 },
      { what: "intake highest sustained rate", value: `${r.intake.maxRate}/s`, target: "≥ 3,000/s", met: r.intake.maxRate >= 3000 },
    );
  if (r.overhead10) out.push({ what: `overhead p50 / p99 (${r.overhead10.jobs} jobs at ${r.overhead10.ratePerSecond}/s)`, value: `${r.overhead10.p50Ms} / ${r.overhead10.p99Ms} ms`, target: "p99 ≤ 5 ms", met: r.overhead10.p99Ms <= 5 });
  if (r.overhead) out.push({ what: `overhead p50 / p99 (${r.overhead.jobs} jobs at ${r.overhead.ratePerSecond}/s)`, value: `${r.overhead.p50Ms} / ${r.overhead.p99Ms} ms`, target: "reported", met: null });
  if (r.apiPerJob)
    out.push(
      { what: `GitHub requests per job (${r.apiPerJob.jobs} jobs)`, value: String(r.apiPerJob.github), target: "≤ 1.05", met: r.apiPerJob.github <= 1.05 },
      // Two calls per launch are the floor now: the JIT parameter (PutParameter), then RunTask / StartBuild.
      { what: `AWS requests per job, tornade's (${r.apiPerJob.jobs} jobs)`, value: String(r.apiPerJob.aws), target: "≤ 2.2", met: r.apiPerJob.aws <= 2.2 },
      { what: "AWS requests per job, runners' JIT handoff", value: String(r.apiPerJob.runnerAws), target: "2 (read, delete)", met: null },
      { what: "Parameter Store calls per job (40/s per account)", value: String(r.apiPerJob.ssm), target: "—", met: null },
    );
  const b = r.burst;
  if (b) {
    out.push(burstRow("matrix256", b.matrix256), burstRow("burst1000", b.burst1000));
    if (b.matrix256ContentLimit) out.push({ ...burstRow("matrix256, content limit on", b.matrix256ContentLimit), target: "(informative)", met: null });
  }
  if (r.footprint)
    out.push(
      { what: "RSS peak (steady run)", value: `${r.footprint.rssMb} MB`, target: "≤ 150 MB", met: r.footprint.rssMb <= 150 },
      { what: "CPU time per 1,000 jobs", value: `${r.footprint.cpuMsPer1000Jobs} ms`, target: "≤ 5,000 ms", met: r.footprint.cpuMsPer1000Jobs <= 5000 },
      { what: `RSS with ${r.footprint.historyJobs} finished jobs`, value: `${r.footprint.rssMbAfter100k} MB`, target: "≤ 150 MB", met: r.footprint.rssMbAfter100k <= 150 },
      { what: "RSS of an idle tornade serve", value: `${r.footprint.idleRssMb} MB`, target: "≤ 100 MB", met: r.footprint.idleRssMb <= 100 },
    );
  if (r.ioFloor)
    out.push(
      { what: `I/O floor: CPU time per 1,000 jobs (${r.ioFloor.launched} of ${r.ioFloor.jobs} launched)`, value: `${r.ioFloor.cpuMsPer1000Jobs} ms`, target: "reported", met: null },
      { what: `I/O floor: overhead p50 / p99 (${r.ioFloor.overhead10.jobs} jobs at 10/s)`, value: `${r.ioFloor.overhead10.p50Ms} / ${r.ioFloor.overhead10.p99Ms} ms`, target: "reported", met: null },
      { what: `I/O floor: intake p50 / p99 at ${r.ioFloor.intake.at}/s`, value: `${r.ioFloor.intake.p50Ms} / ${r.ioFloor.intake.p99Ms} ms`, target: "reported", met: null },
      { what: "I/O floor: intake highest sustained rate", value: `${r.ioFloor.intake.maxRate}/s`, target: "reported", met: null },
    );
  if (r.cli)
    out.push(
      { what: `tornade --help (median of ${r.cli.runs})`, value: `${r.cli.helpMs} ms`, target: "≤ 200 ms", met: r.cli.helpMs <= 200 },
      { what: `tornade explain --labels (median of ${r.cli.runs})`, value: `${r.cli.explainMs} ms`, target: "≤ 300 ms", met: r.cli.explainMs <= 300 },
    );
  if (r.sandboxSeedSeconds !== undefined) out.push({ what: "tornade sandbox (seed workflow)", value: `${r.sandboxSeedSeconds} s`, target: "—", met: null });
  if (r.pickup) out.push(...pickupRows(r.pickup));
  if (r.scaleSet) out.push(...scaleSetRows(r.scaleSet, r));
  return out;
}

/**
 * Scale-set mode beside webhook mode (docs/performance.md "Scale-set mode"): the webhook figures are the apiPerJob
 * stage's (1 job a simulated second) and the pickup stage's cold jobs, when the same run measured them.
 */
export function scaleSetRows(s: ScaleSetResult, r: { apiPerJob?: { github: number }; pickup?: Pick<PickupResult, "cold" | "modelledColdBootS"> }): Row[] {
  const webhookCalls = r.apiPerJob ? `webhook mode ${r.apiPerJob.github} at 1 job/s` : "webhook mode: apiPerJob not run";
  const webhookPickup = r.pickup ? `webhook mode cold ${r.pickup.cold.p50S} / ${r.pickup.cold.p95S} s (boot p50 ${r.pickup.modelledColdBootS} s)` : "webhook mode: pickup not run";
  const out: Row[] = s.rates.flatMap((x) => [
    {
      what: `scale-set mode: GitHub calls per job at ${x.ratePerMinute} jobs/min (${x.jobs} jobs), polls included`,
      value: `${x.apiPerJob} = ${kindsLine(x.byKind)}; ${webhookCalls}`,
      target: "(informative)",
      met: null,
    },
    {
      what: `scale-set mode: pickup at ${x.ratePerMinute} jobs/min (${x.pickup.jobs} jobs): p50 / p95`,
      value: `${x.pickup.p50S} / ${x.pickup.p95S} s (boot p50 ${x.modelledColdBootS} s; failed ${x.failedJobs}; spare runners ${x.spareRunners}); ${webhookPickup}`,
      target: "(informative)",
      met: null,
    },
  ]);
  if (s.idle) out.push({ what: `scale-set mode: GitHub calls an idle hour, one scale set (${s.idle.minutes} min measured)`, value: `${s.idle.total} = ${kindsLine(s.idle.byKind)}`, target: "(informative)", met: null });
  return out;
}

/** Issue 14's targets for the pickup stage (docs/performance.md "Pickup"). */
function pickupRows(p: PickupResult): Row[] {
  return [
    {
      what: `pickup, cold (${p.cold.jobs} jobs): p50 / p95`,
      value: `${p.cold.p50S} / ${p.cold.p95S} s (modelled boot p50 ${p.modelledColdBootS} s)`,
      target: "p50 within 3 s of the boot",
      met: Math.abs(p.cold.p50S - p.modelledColdBootS) <= 3,
    },
    { what: `pickup, warm (${p.warm.jobs} jobs): p50 / p95`, value: `${p.warm.p50S} / ${p.warm.p95S} s`, target: "p50 ≤ 5 s, p95 ≤ 10 s", met: p.warm.p50S <= 5 && p.warm.p95S <= 10 },
    {
      what: "pickup from the webhook at tornade: warm / cold p50 (p95)",
      value: `${p.fromWebhook.warm.p50S} (${p.fromWebhook.warm.p95S}) / ${p.fromWebhook.cold.p50S} (${p.fromWebhook.cold.p95S}) s; delivery p50 ${p.webhookDelivery.p50S} s`,
      target: "(informative)",
      met: null,
    },
    {
      what: "pickup, warm, split at the handoff: tornade / standby p50 (p95)",
      value: `${p.warmSplit.tornade.p50S} (${p.warmSplit.tornade.p95S}) / ${p.warmSplit.standby.p50S} (${p.warmSplit.standby.p95S}) s`,
      target: "(informative)",
      met: null,
    },
    { what: "pickup, standby hit rate (steady part)", value: String(p.hitRate), target: "≥ 0.9", met: p.hitRate >= 0.9 },
    { what: `pickup, idle standby time (${p.standby})`, value: `${p.idleRunnerMinutesPerJob} runner-min/job`, target: "≤ 0.5", met: p.idleRunnerMinutesPerJob <= 0.5 },
    {
      what: `pickup, burst of ${p.burst.jobs}: warm / cold p50`,
      value: `${p.burst.warm.p50S} / ${p.burst.cold.p50S} s; hit rate ${p.burst.hitRate}; failed ${p.failedJobs}; steady Parameter Store ${p.ssm.perSecond}/s, ${p.ssm.throttled} throttled`,
      target: "(informative)",
      met: null,
    },
  ];
}

export function formatTable(r: BenchReport): string {
  const all = rows(r);
  const w = [Math.max(...all.map((x) => x.what.length)), Math.max(...all.map((x) => x.value.length)), Math.max(...all.map((x) => x.target.length))];
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c.padEnd(w[2]!)}  ${d}`;
  return [line("measure", "result", "target", ""), ...all.map((x) => line(x.what, x.value, x.target, x.met === null ? "" : x.met ? "met" : "MISSED"))].join("\n");
}

/** The same table in Markdown, for docs/performance.md. */
export function markdownTable(r: BenchReport): string {
  return ["| measure | result | target | |", "| --- | --- | --- | --- |", ...rows(r).map((x) => `| ${x.what} | ${x.value} | ${x.target} | ${x.met === null ? "" : x.met ? "met" : "**missed**"} |`)].join("\n");
}
