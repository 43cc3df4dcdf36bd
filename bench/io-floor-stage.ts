/**
 * The ioFloor stage: bench/io-floor.ts (tornade's per-job I/O and nothing else) run by the same harnesses in tornade's
 * place — the intake stage's deliveries at 1,000 and 3,000 a second, overhead10's jobs at 10 a second and the
 * footprint's at 20 — so that its latencies and CPU per job stand beside tornade's in one report (docs/performance.md
 * "The I/O floor").
 */
import { resolve } from "node:path";
import { benchIntake, type IntakeResult } from "./intake.js";
import { benchSteady } from "./steady.js";

/** Started as `node <bin> serve`, as bench/world.ts starts any build of tornade. */
export const IO_FLOOR_BIN = resolve(import.meta.dirname, "io-floor-bin.mjs");

export interface IoFloorResult {
  /** The footprint's run: CPU of the process per 1,000 jobs (/proc, as footprint.cpuMsPer1000Jobs). */
  cpuMsPer1000Jobs: number;
  jobs: number;
  /** Jobs it launched a runner for: all of them, or the floor did less than tornade. */
  launched: number;
  /** overhead10's run: webhook → RunTask less the JIT round trip, as overhead10. */
  overhead10: { p50Ms: number; p99Ms: number; jobs: number; launched: number };
  /** The intake stage's deliveries (verify, parse, one durable write, 202), as intake. */
  intake: IntakeResult;
}

export async function benchIoFloor(opts: { quick: boolean; progress: (line: string) => void }): Promise<IoFloorResult> {
  const intake = await benchIntake({ rates: [1000, 3000], seconds: opts.quick ? 1 : 3, progress: opts.progress, bin: IO_FLOOR_BIN });
  const at10 = await benchSteady({ jobs: opts.quick ? 50 : 150, speed: 10, ratePerSecond: 10, progress: opts.progress, bin: IO_FLOOR_BIN });
  const at20 = await benchSteady({ jobs: opts.quick ? 200 : 1000, speed: 20, ratePerSecond: 20, progress: opts.progress, bin: IO_FLOOR_BIN });
  return {
    cpuMsPer1000Jobs: at20.footprint.cpuMsPer1000Jobs,
    jobs: at20.jobs,
    launched: at20.launched,
    overhead10: { p50Ms: at10.overhead.p50Ms, p99Ms: at10.overhead.p99Ms, jobs: at10.jobs, launched: at10.launched },
    intake,
  };
}
