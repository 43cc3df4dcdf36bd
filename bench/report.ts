/** The benchmark report: the JSON the issue asks for (plus the detail behind each figure) and the table beside targets. */
import type { BurstResult } from "./burst.js";
import type { CliStartResult } from "./cli-start.js";
import type { IntakeResult } from "./intake.js";
import type { SteadyResult } from "./steady.js";

export interface BenchReport {
  intake: IntakeResult;
  /** Webhook → RunTask at 100 jobs/s (over Parameter Store's 20 launches/s: launches queue) and at 10 jobs/s. */
  overhead: Overhead;
  overhead10: Overhead;
  apiPerJob: SteadyResult["apiPerJob"] & { jobs: number };
  burst: { matrix256: BurstResult; burst1000: BurstResult; matrix256ContentLimit?: BurstResult };
  footprint: { rssMb: number; idleRssMb: number; cpuMsPer1000Jobs: number; rssMbAfter100k: number; historyJobs: number };
  sandboxSeedSeconds: number;
  cli: CliStartResult;
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

interface Row {
  what: string;
  value: string;
  target: string;
  met: boolean | null;
}

export function rows(r: BenchReport): Row[] {
  const b = r.burst;
  const burstRow = (name: string, x: BurstResult): Row => ({
    what: `${name} (${x.jobs} jobs): launched / floor`,
    value: `${x.seconds} s / ${x.floorSeconds} s = ${x.ratio}x; throttled ${x.throttled.github}+${x.throttled.aws}; failed ${x.failedJobs}`,
    target: "≤ 1.1x, 0 failed",
    met: x.ratio <= 1.1 && x.failedJobs === 0,
  });
  const out: Row[] = [
    { what: `intake p50 / p99 at ${r.intake.at}/s`, value: `${r.intake.p50Ms} / ${r.intake.p99Ms} ms`, target: "p99 ≤ 10 ms", met: r.intake.p99Ms <= 10 },
    { what: "intake highest sustained rate", value: `${r.intake.maxRate}/s`, target: "≥ 3,000/s", met: r.intake.maxRate >= 3000 },
    { what: `overhead p50 / p99 (${r.overhead10.jobs} jobs at ${r.overhead10.ratePerSecond}/s)`, value: `${r.overhead10.p50Ms} / ${r.overhead10.p99Ms} ms`, target: "p99 ≤ 5 ms", met: r.overhead10.p99Ms <= 5 },
    { what: `overhead p50 / p99 (${r.overhead.jobs} jobs at ${r.overhead.ratePerSecond}/s)`, value: `${r.overhead.p50Ms} / ${r.overhead.p99Ms} ms`, target: "reported (Parameter Store: 20 launches/s)", met: null },
    { what: `GitHub requests per job (${r.apiPerJob.jobs} jobs)`, value: String(r.apiPerJob.github), target: "≤ 1.05", met: r.apiPerJob.github <= 1.05 },
    // Two calls per launch are the floor now: the JIT parameter (PutParameter), then RunTask / StartBuild.
    { what: `AWS requests per job, tornade's (${r.apiPerJob.jobs} jobs)`, value: String(r.apiPerJob.aws), target: "≤ 2.2", met: r.apiPerJob.aws <= 2.2 },
    { what: "AWS requests per job, runners' JIT handoff", value: String(r.apiPerJob.runnerAws), target: "2 (read, delete)", met: null },
    { what: "Parameter Store calls per job (40/s per account)", value: String(r.apiPerJob.ssm), target: "—", met: null },
    burstRow("matrix256", b.matrix256),
    burstRow("burst1000", b.burst1000),
  ];
  if (b.matrix256ContentLimit) out.push({ ...burstRow("matrix256, content limit on", b.matrix256ContentLimit), target: "(informative)", met: null });
  out.push(
    { what: "RSS peak (steady run)", value: `${r.footprint.rssMb} MB`, target: "≤ 150 MB", met: r.footprint.rssMb <= 150 },
    { what: "CPU time per 1,000 jobs", value: `${r.footprint.cpuMsPer1000Jobs} ms`, target: "—", met: null },
    { what: `RSS with ${r.footprint.historyJobs} finished jobs`, value: `${r.footprint.rssMbAfter100k} MB`, target: "≤ 150 MB", met: r.footprint.rssMbAfter100k <= 150 },
    { what: "RSS of an idle tornade serve", value: `${r.footprint.idleRssMb} MB`, target: "≤ 100 MB", met: r.footprint.idleRssMb <= 100 },
    { what: `tornade --help (median of ${r.cli.runs})`, value: `${r.cli.helpMs} ms`, target: "≤ 200 ms", met: r.cli.helpMs <= 200 },
    { what: `tornade explain --labels (median of ${r.cli.runs})`, value: `${r.cli.explainMs} ms`, target: "≤ 300 ms", met: r.cli.explainMs <= 300 },
    { what: "tornade sandbox (seed workflow)", value: `${r.sandboxSeedSeconds} s`, target: "—", met: null },
  );
  return out;
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
