/**
 * How fast the `tornade` command answers and how little `tornade serve` holds when idle (issue 12): the median wall
 * time of `tornade --help` and of `tornade explain --labels …` over several runs of the compiled package (a fresh
 * Node process each, as a person types them; Node's compile cache warms on the first), and the RSS of a production
 * `tornade serve` that has started and is waiting, with nothing to do.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { idleRuntime } from "../testbed/runtime.js";
import { percentile, round, sleep } from "./stats.js";
import { childUsage, startWorld } from "./world.js";

const BIN = resolve(import.meta.dirname, "../bin/tornade.js");
const EXPLAIN = ["explain", "--labels", "self-hosted,tornade,123,runs-on=FARGATE_SPOT,arch=ARM64"];

export interface CliStartResult {
  /** Median wall milliseconds of `tornade --help`. */
  helpMs: number;
  /** Median wall milliseconds of `tornade explain --labels …`. */
  explainMs: number;
  runs: number;
}

function medianWallMs(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tornade ${args.join(" ")} exited with ${r.status}: ${r.stderr}`);
    times.push(performance.now() - started);
  }
  return round(percentile(times, 50), 0);
}

export function benchCliStart(runs = 10): CliStartResult {
  return { helpMs: medianWallMs(["--help"], runs), explainMs: medianWallMs(EXPLAIN, runs), runs };
}

/** RSS (MB) of `tornade serve` against the test bed, a few seconds after it answered /healthz, with no job in sight. */
export async function benchIdleRss(): Promise<number> {
  const world = await startWorld({ speed: 1, webhooks: false, runtime: idleRuntime() });
  try {
    await sleep(5_000);
    return round((await childUsage(world.proc.child.pid!)).rssMb, 1);
  } finally {
    await world.close();
  }
}
