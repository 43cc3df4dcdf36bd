/**
 *   node bin/run-ts.js bench/stalls.ts [--stage intake|overhead] [--rate PER_S] [--deliveries N] [--speed X] [--node-arg FLAG]… [--bin OTHER/bin/tornade.js] [--store FILE]
 *
 * One open-loop intake stage (bench/intake.ts; default 3,000 deliveries at 1,000/s) or, with --stage overhead, the
 * overhead10 run (bench/steady.ts: --deliveries jobs, default 150, at --rate a second, default 10, clock --speed, default 10×; the footprint run is --rate 20 --deliveries 1000 --speed 20), against a
 * `tornade serve` child carrying bench/probe.mjs, then the child's seconds: event-loop delay p50/p99/max (the longest synchronous stretch),
 * GC pauses, and the WAL syncs run on the thread pool (how many, how long). Latency percentiles on a shared machine
 * move with the load; these say what a delivery waited behind. --bin runs another build (e.g. the code before a change,
 * extracted with `git archive` and built) for a side-by-side run. --store puts the SQLite file elsewhere (with --stage
 * overhead): on tmpfs (/dev/shm) a sync costs next to nothing, so the difference is what durable writes cost a job.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { benchIntake } from "./intake.js";
import { PATH_SEGMENTS } from "./job-path.js";
import { benchSteady } from "./steady.js";

const args = parseArgs({ options: { stage: { type: "string" }, rate: { type: "string" }, deliveries: { type: "string" }, bin: { type: "string" }, store: { type: "string" }, speed: { type: "string" }, "node-arg": { type: "string", multiple: true } }, strict: true }).values;
const overhead = args.stage === "overhead";
const rate = Number(args.rate ?? (overhead ? 10 : 1000));
const deliveries = Number(args.deliveries ?? (overhead ? 150 : 3000));
const probe = resolve(import.meta.dirname, "probe.mjs");
let pid = 0;
const say = (line: string) => process.stderr.write(`${line}\n`);
const child = { nodeArgs: [...(args["node-arg"] ?? []), "--import", probe], onChild: (p: number) => (pid = p), ...(args.bin ? { bin: resolve(args.bin) } : {}) };
let headline: string;
if (overhead) {
  const r = await benchSteady({ jobs: deliveries, speed: Number(args.speed ?? 10), ratePerSecond: rate, progress: say, ...child, ...(args.store ? { storePath: resolve(args.store) } : {}) });
  const p = r.overhead.path;
  headline = [
    `overhead at ${rate} jobs/s: p50 ${r.overhead.p50Ms} ms, p99 ${r.overhead.p99Ms} ms (raw ${r.overhead.rawP50Ms} / ${r.overhead.rawP99Ms} ms)`,
    `one job's path, ${p.jobs} jobs (bench/job-path.ts), p50 / p99 ms: ${PATH_SEGMENTS.map((k) => `${k} ${p.segments[k].p50Ms} / ${p.segments[k].p99Ms}`).join(", ")}`,
    `the bench process's own event-loop delay meanwhile: p50 ${p.harnessLoop.p50Ms}, p99 ${p.harnessLoop.p99Ms}, max ${p.harnessLoop.maxMs} ms`,
  ].join("\n");
} else {
  const s = (await benchIntake({ rates: [rate], seconds: deliveries / rate, progress: say, ...child })).stages[0]!;
  headline = `intake ${rate}/s offered: ${s.achievedRate}/s acked, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, max ${s.maxMs} ms, ${s.errors} errors`;
}
const seconds = JSON.parse(readFileSync(`/tmp/tornade-probe-${pid}.json`, "utf8")) as {
  t: number;
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  gc: { count: number; ms: number; maxMs: number };
  syncs: { count: number; meanMs: number; maxMs: number };
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; spaces?: Record<string, number> };
}[];
const lines = seconds.map(
  (x) =>
    `${String(x.t).padStart(4)} s  loop p50 ${x.loopP50Ms} p99 ${x.loopP99Ms} max ${x.loopMaxMs} ms | gc ${x.gc.count}× ${x.gc.ms} ms (max ${x.gc.maxMs}) | ` +
    `syncs ${x.syncs.count}× mean ${x.syncs.meanMs} max ${x.syncs.maxMs} ms | MB rss ${x.mem.rss} heap ${x.mem.heapUsed}/${x.mem.heapTotal} (new ${x.mem.spaces?.["new"] ?? "?"} old ${x.mem.spaces?.["old"] ?? "?"}) ext ${x.mem.external}`,
);
process.stdout.write(
  [headline, ...lines, ""].join("\n"),
);
process.exit(0);
