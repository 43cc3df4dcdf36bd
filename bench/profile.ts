/**
 *   node bin/run-ts.js bench/profile.ts [--stage steady|intake] [--jobs N] [--speed X] [--rate PER_S] [--dir DIR] [--top N] [--bin FILE]
 *
 * --stage intake: one open-loop intake stage (bench/intake.ts: --jobs deliveries at --rate a second, default 3,000 at
 * 1,000/s) against the profiled child, per delivery. Otherwise runs the steady benchmark (bench/steady.ts: N jobs at 100/s real, every one launched and run to the end) with
 * `tornade serve` under `node --cpu-prof`, then prints the child's self time per function and per module over the
 * measured span only (start-up and warm-up left out), per job. The .cpuprofile stays in DIR for Chrome DevTools.
 * --bin profiles another `serve` in tornade's place: bench/io-floor-bin.mjs is the I/O floor (docs/performance.md
 * "The I/O floor"), bench/unbundled-bin.mjs tornade from dist/src (modules named), another build's bin/tornade.js the
 * code before a change.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { longestStretches, summarise, type CpuProfile, type SelfTime } from "./profile-summary.js";
import { benchIntake } from "./intake.js";
import { benchSteady } from "./steady.js";

const args = parseArgs({ options: { stage: { type: "string" }, jobs: { type: "string" }, speed: { type: "string" }, rate: { type: "string" }, dir: { type: "string" }, top: { type: "string" }, bin: { type: "string" } }, strict: true }).values;
const stage = args.stage ?? "steady";
if (stage !== "steady" && stage !== "intake") throw new Error(`--stage is steady or intake, not ${stage}`);
const dir = resolve(args.dir ?? join(tmpdir(), `tornade-profile-${Date.now()}`));
mkdirSync(dir, { recursive: true });
const say = (line: string) => process.stderr.write(`${line}\n`);
const nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${dir}`];
/** Another `serve` to profile in tornade's place, for either stage. */
const bin = args.bin ? { bin: resolve(args.bin) } : {};

let window: { fromUs: number; toUs: number } | undefined;
const onMeasured = (w: { fromUs: number; toUs: number }) => (window = w);
/** What the profile is divided by ("job" or "delivery"), how many, and the lines printed above the tables. */
let unit: string;
let count: number;
let header: string[];
if (stage === "intake") {
  // --rate R: one open-loop stage of R deliveries a second for --jobs / R seconds (default 3,000 at 1,000/s).
  const rate = Number(args.rate ?? 1000);
  const deliveries = Number(args.jobs ?? 3000);
  const r = await benchIntake({ rates: [rate], seconds: deliveries / rate, progress: say, nodeArgs, onMeasured, ...bin });
  const s = r.stages[0]!;
  [unit, count] = ["delivery", Math.max(50, Math.round(deliveries))];
  header = [`intake ${rate}/s offered: ${s.achievedRate}/s acked, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${s.errors} errors`];
} else {
  const result = await benchSteady({ jobs: Number(args.jobs ?? 1000), speed: Number(args.speed ?? 100), ratePerSecond: Number(args.rate ?? 100), progress: say, nodeArgs, onMeasured, ...bin });
  [unit, count] = ["job", result.jobs];
  header = [
    `${result.jobs} jobs, ${result.launched} launched; /proc says ${result.footprint.cpuMsPer1000Jobs / 1000} ms/job`,
    `GitHub ${result.apiPerJob.github}/job ${JSON.stringify(result.apiPerJob.githubCalls)}`,
    `AWS ${result.apiPerJob.aws}/job ${JSON.stringify(result.apiPerJob.awsCalls)}`,
    `overhead p50 ${result.overhead.p50Ms} ms, p99 ${result.overhead.p99Ms} ms`,
  ];
}
// The profile is written when the child exits (world.close sends SIGTERM; serve exits 0).
// One profile per thread (tsx's module hooks run in a worker); the main thread's is thread 0: CPU.<date>.<time>.<pid>.0.<seq>.
// The newest, when DIR holds earlier runs' too (the names start with the date and time).
const file = readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).sort().pop();
if (!file) throw new Error(`no .cpuprofile in ${dir}: did tornade serve exit cleanly?`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
const s = summarise(profile, window, Number(args.top ?? 30));
const per = (ms: number) => (ms / count).toFixed(3);
const table = (title: string, rows: SelfTime[]) =>
  [`${title}`, ...rows.map((r) => `  ${r.ms.toFixed(1).padStart(9)} ms  ${per(r.ms).padStart(7)} ms/${unit}  ${r.share.toFixed(1).padStart(5)} %  ${r.name}`)].join("\n");
process.stdout.write(
  [
    `profile ${join(dir, file)}`,
    `sampled ${s.sampledMs} ms in the measured span = ${per(s.sampledMs)} ms/${unit}`,
    ...header,
    table("self time by module", s.byModule),
    table("self time by function", s.byFunction),
    "longest stretches without an idle sample (the event loop held)",
    ...longestStretches(profile, window).map((x) => `  ${x.ms.toFixed(1).padStart(7)} ms  ${x.top.map((f) => `${f.name} ${f.ms}`).join("; ")}`),
    "",
  ].join("\n"),
);
process.exit(0);
