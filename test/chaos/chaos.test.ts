/**
 * Issue 4 point 12, the small chaos run that is part of `npm test`: about 200 jobs through `tornade serve` (a real
 * child process) with webhooks dropped, duplicated and reordered, Spot capacity failures and interruptions, GitHub
 * 5xx, quotas on, and three SIGKILL restarts, static jobs served by the always-on pool — no job lost, nothing left
 * behind. The same seed every time, so a
 * failure replays with `npm run chaos -- --jobs 200 --seed 4012`.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runChaos, type ChaosOutcome } from "../../bench/chaos/chaos.js";

const JOBS = 200;
const SEED = 4012;
/** 100x: both runs (baseline and chaos, about 10 + 30 simulated minutes) take well under a minute of real time. */
const SPEED = 100;
/** type=static jobs are part of the run, served by tornade's always-on pool. */
const STATIC_POOL = "FARGATE/X86_64=2";

describe("chaos run", () => {
  it(`${JOBS} jobs under faults: none lost, nothing left behind`, { timeout: 240_000 }, async () => {
    const outcome: ChaosOutcome = await runChaos({ jobs: JOBS, seed: SEED, speed: SPEED, staticPool: STATIC_POOL });
    const r = outcome.report;
    const table = formatReport(r);
    const tail = outcome.chaos.tornadeOutput.slice(-4000);
    // Faults were really injected: a chaos run without chaos proves nothing.
    expect(r.faults.webhooksDropped + r.faults.webhooksDroppedUntraced, table).toBeGreaterThan(0);
    expect(r.faults.webhooksDuplicated, table).toBeGreaterThan(0);
    expect(r.faults.spotCapacityFailures, table).toBeGreaterThan(0);
    expect(r.faults.spotInterruptions, table).toBeGreaterThan(0);
    expect(r.faults.github5xx, table).toBeGreaterThan(0);
    expect(r.faults.restarts, table).toBe(3);
    // The baseline is the yardstick: fault-free, everything served and cleaned up.
    expect(r.baseline, table).toMatchObject({ lost: 0, orphans: 0, drained: true });
    expect(r.jobs, table).toBeGreaterThan(150);
    expect({ lost: r.lost, orphans: r.orphans }, `${table}\n--- tornade (last lines) ---\n${tail}`).toEqual({ lost: 0, orphans: 0 });
    expect(r.completed).toBe(r.jobs);
    expect(r.staticJobs, table).toBeGreaterThan(0);
    expect(r.staticUnserved, table).toBe(0);
  });
});
