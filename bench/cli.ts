/**
 * npm run bench [-- --quick] [--only STAGE[,STAGE]] [--json FILE] [--results DIR] [--plots DIR]
 *
 * Runs every benchmark against the test bed with `tornade serve` as a child process, prints the results beside their
 * targets and writes the JSON report to bench/results/<date>.json (and FILE). --quick uses smaller counts and faster
 * clocks and finishes in about five minutes; --only runs the named stages (the report's keys) alone; --plots DIR
 * draws the bursts' dispatch curves and queue-time distribution as PNG (headless Chromium). Exit 0 whatever the
 * figures: a missed target is a finding, not a crash. See docs/performance.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchBurst } from "./burst.js";
import { benchCliStart, benchIdleRss } from "./cli-start.js";
import { benchHistory } from "./footprint.js";
import { benchIntake } from "./intake.js";
import { benchIoFloor } from "./io-floor-stage.js";
import { formatTable, type BenchReport } from "./report.js";
import { benchSandboxSeed } from "./sandbox-seed.js";
import { benchPickup, pickupOptions as PICKUP } from "./pickup.js";
import { benchScaleSet, scaleSetOptions as SCALE_SET } from "./scale-set.js";
import { benchSteady } from "./steady.js";

/** The stages `--only` may name: the report's top-level keys. */
const STAGES = ["intake", "overhead", "apiPerJob", "burst", "footprint", "ioFloor", "sandbox", "cli", "pickup", "scaleSet"] as const;
type Stage = (typeof STAGES)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only STAGE[,STAGE]] [--json FILE] [--results DIR] [--plots DIR]
  --quick        smaller counts and faster clocks: about five minutes
  --only STAGES  run only these stages (the report's keys): ${STAGES.join(", ")}
  --json FILE    also write the JSON report to FILE
  --results DIR  where the dated JSON goes; default bench/results
  --plots DIR    draw perf-dispatch.png and perf-queue-time.png into DIR (needs /usr/bin/chromium)`;

let args;
try {
  args = parseArgs({ options: { quick: { type: "boolean" }, only: { type: "string" }, json: { type: "string" }, results: { type: "string" }, plots: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }).values;
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const quick = args.quick === true;
const say = (line: string) => process.stderr.write(`${line}\n`);
const only = args.only === undefined ? undefined : new Set(args.only.split(",").map((s) => s.trim()).filter(Boolean));
const unknown = [...(only ?? [])].filter((s) => !(STAGES as readonly string[]).includes(s));
if (unknown.length) {
  process.stderr.write(`--only: unknown stage ${unknown.join(", ")}; stages are ${STAGES.join(", ")}\n${USAGE}\n`);
  process.exit(2);
}
const runs = (stage: Stage) => only === undefined || only.has(stage);

say(`tornade bench${quick ? " --quick" : ""}${only ? ` --only ${[...only].join(",")}` : ""}: ${cpus().length} cores, node ${process.version}`);
// Production runs Node 24 (the Lambda runtime, infra/lib/controller-function.ts; the container images): figures taken on
// another major measure a Node tornade is not deployed on, and differ (docs/performance.md "Two full runs").
if (Number(process.versions.node.split(".")[0]) !== 24) {
  say(`note: this is node ${process.version}; tornade is deployed on Node 24. For figures that hold in production: PATH=<node 24 bin>:$PATH npm run bench`);
}
const report: BenchReport = { machine: { nproc: cpus().length, memoryMb: Math.round(totalmem() / 1048576), node: process.version, cpu: cpus()[0]?.model ?? "unknown", quick, date: new Date().toISOString() } };
if (runs("intake")) {
  say("intake");
  report.intake = await benchIntake({ rates: quick ? [100, 1000, 3000] : [100, 1000, 3000, 5000], seconds: quick ? 1 : 3, progress: say });
}
// Webhook → RunTask at two rates, both on a 10× clock (1 and 10 jobs a simulated second: under every GitHub and AWS
// quota, Parameter Store's 20 launches/s included): 10 jobs/s real, what tornade itself adds (the target); 100 jobs/s
// real, where tornade's CPU per job times the rate approaches the machine's cores (docs/performance.md).
if (runs("overhead")) {
  const overheadOf = (r: Awaited<ReturnType<typeof benchSteady>>, ratePerSecond: number) => ({ ...r.overhead, jobs: r.jobs, speed: 10, ratePerSecond });
  say("overhead at 10 jobs/s (real, clock 10x)");
  report.overhead10 = overheadOf(await benchSteady({ jobs: quick ? 50 : 150, speed: 10, ratePerSecond: 10, progress: say }), 10);
  say("overhead at 100 jobs/s (real, clock 10x: under every quota)");
  report.overhead = overheadOf(await benchSteady({ jobs: 150, speed: 10, progress: say }), 100);
}
// 20 jobs/s real at 20x = 1 job/s simulated. Not 100/s at 100x: the GitHub sim delivers webhooks one at a time
// (GitHub delivers them concurrently), and 300 deliveries a second queue in the sim for simulated minutes, which
// makes tornade spend a GET verifying each stopped runner's job (docs/performance.md).
const steady =
  runs("apiPerJob") || runs("footprint")
    ? (say("API calls per job, footprint (20 jobs/s real at 20x = 1 job/s simulated)"), await benchSteady({ jobs: quick ? 200 : 1000, speed: 20, ratePerSecond: 20, progress: say }))
    : undefined;
if (steady && runs("apiPerJob")) report.apiPerJob = { ...steady.apiPerJob, jobs: steady.launched };
// The intake stage's deliveries and the two steady runs (overhead10's and the footprint's) again, with bench/io-floor.ts
// in tornade's place: what the job's I/O alone costs, right after tornade's own figures (docs/performance.md "The I/O
// floor").
if (runs("ioFloor")) {
  say("the I/O floor (bench/io-floor.ts in tornade's place: the same jobs, webhooks, calls and durable writes, nothing else)");
  report.ioFloor = await benchIoFloor({ quick, progress: say });
}
if (runs("burst")) {
  say("bursts");
  const matrix256 = await benchBurst({ name: "matrix256", jobs: 256, matrix: true, speed: quick ? 30 : 5 }, say);
  // --quick: 400 jobs (the floor is still GitHub's, 120 s simulated) to stay under a minute.
  const burst1000 = await benchBurst({ name: "burst1000", jobs: quick ? 400 : 1000, matrix: false, speed: quick ? 60 : 10 }, say);
  const matrix256ContentLimit = quick
    ? undefined
    : await benchBurst({ name: "matrix256-content", jobs: 256, matrix: true, speed: 10, githubLimits: { contentCreationPerMinute: 80, contentCreationPerHour: 500 } }, say);
  report.burst = { matrix256, burst1000, ...(matrix256ContentLimit ? { matrix256ContentLimit } : {}) };
}
if (steady && runs("footprint")) {
  say("footprint with history");
  const history = await benchHistory({ jobs: quick ? 20_000 : 100_000, progress: say });
  say("idle footprint");
  const idleRssMb = await benchIdleRss();
  report.footprint = { rssMb: steady.footprint.rssMb, idleRssMb, cpuMsPer1000Jobs: steady.footprint.cpuMsPer1000Jobs, rssMbAfter100k: history.rssMb, historyJobs: history.jobs };
}
if (runs("sandbox")) {
  say("sandbox");
  report.sandboxSeedSeconds = await benchSandboxSeed();
}
if (runs("cli")) {
  say("command start");
  report.cli = benchCliStart(10);
}
if (runs("pickup")) {
  say("pickup (published boot clock, standbys for one shape; docs/performance.md \"Pickup\")");
  report.pickup = await benchPickup(PICKUP(quick, say));
}
if (runs("scaleSet")) {
  say("scale-set mode: GitHub calls per job and pickup at 60 and 2 jobs/min (published boot clock; docs/performance.md \"Scale-set mode\")");
  report.scaleSet = await benchScaleSet(SCALE_SET(quick, say));
}

const date = report.machine.date;
process.stdout.write(`${formatTable(report)}\n`);
const json = `${JSON.stringify(report, null, 2)}\n`;
const resultsDir = args.results ? resolve(args.results) : resolve(import.meta.dirname, "results");
mkdirSync(resultsDir, { recursive: true });
const resultFile = resolve(resultsDir, `${date.replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.json`);
writeFileSync(resultFile, json);
say(`wrote ${resultFile}`);
if (args.json) writeFileSync(args.json, json);
if (args.plots) {
  const { drawPlots } = await import("./plots.js");
  for (const f of await drawPlots(report, args.plots)) say(`wrote ${f}`);
}
process.exit(0);
