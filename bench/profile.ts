/**
 *   node bin/run-ts.js bench/profile.ts [--jobs N] [--speed X] [--rate JOBS_PER_S] [--dir DIR] [--top N]
 *
 * Runs the steady benchmark (bench/steady.ts: N jobs at 100/s real, every one launched and run to the end) with
 * `tornade serve` under `node --cpu-prof`, then prints the child's self time per function and per module over the
 * measured span only (start-up and warm-up left out), per job. The .cpuprofile stays in DIR for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { summarise, type CpuProfile, type SelfTime } from "./profile-summary.js";
import { benchSteady } from "./steady.js";

const args = parseArgs({ options: { jobs: { type: "string" }, speed: { type: "string" }, rate: { type: "string" }, dir: { type: "string" }, top: { type: "string" } }, strict: true }).values;
const jobs = Number(args.jobs ?? 1000);
const dir = resolve(args.dir ?? join(tmpdir(), `tornade-profile-${Date.now()}`));
mkdirSync(dir, { recursive: true });
const say = (line: string) => process.stderr.write(`${line}\n`);

let window: { fromUs: number; toUs: number } | undefined;
const result = await benchSteady({
  jobs,
  speed: Number(args.speed ?? 100),
  ratePerSecond: Number(args.rate ?? 100),
  progress: say,
  nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
  onMeasured: (w) => (window = w),
});
// The profile is written when the child exits (world.close sends SIGTERM; serve exits 0).
// One profile per thread (tsx's module hooks run in a worker); the main thread's is thread 0: CPU.<date>.<time>.<pid>.0.<seq>.
const file = readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
if (!file) throw new Error(`no .cpuprofile in ${dir}: did tornade serve exit cleanly?`);
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
const s = summarise(profile, window, Number(args.top ?? 30));
const perJob = (ms: number) => (ms / result.jobs).toFixed(3);
const table = (title: string, rows: SelfTime[]) =>
  [`${title}`, ...rows.map((r) => `  ${r.ms.toFixed(1).padStart(9)} ms  ${perJob(r.ms).padStart(7)} ms/job  ${r.share.toFixed(1).padStart(5)} %  ${r.name}`)].join("\n");
process.stdout.write(
  [
    `profile ${join(dir, file)}`,
    `${result.jobs} jobs, ${result.launched} launched; sampled ${s.sampledMs} ms in the measured span = ${perJob(s.sampledMs)} ms/job; /proc says ${result.footprint.cpuMsPer1000Jobs / 1000} ms/job`,
    `GitHub ${result.apiPerJob.github}/job ${JSON.stringify(result.apiPerJob.githubCalls)}`,
    `AWS ${result.apiPerJob.aws}/job ${JSON.stringify(result.apiPerJob.awsCalls)}`,
    `overhead p50 ${result.overhead.p50Ms} ms, p99 ${result.overhead.p99Ms} ms`,
    table("self time by module", s.byModule),
    table("self time by function", s.byFunction),
    "",
  ].join("\n"),
);
process.exit(0);
