/**
 * Issue 4 point 12, the small chaos run that is part of `npm test`: about 200 jobs through `tornade serve` (a real
 * child process) with webhooks dropped, duplicated and reordered, Spot capacity failures and interruptions, GitHub
 * 5xx, quotas on, and three SIGKILL restarts, static jobs served by the always-on pool — no job lost, nothing left
 * behind. The same seed every time, so a
 * failure replays with `npm run chaos -- --jobs 200 --seed 4012`.
 * The standby mode (issue 14 point 6) runs fewer jobs with standby runners and their handoff attacked: replayed with
 * `npm run chaos -- --standby --jobs 80 --seed 4012 --speed 25`.
 * The scale-set intake (issue 15 point 4) runs fewer jobs through two runner scale sets with the message path and the
 * sessions attacked: replayed with `npm run chaos -- --intake scale-set --jobs 70 --seed 4012 --speed 50`.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runChaos, type ChaosOutcome } from "../../bench/chaos/chaos.js";
import { DEFAULT_STANDBY_SHAPES } from "../../bench/chaos/standby.js";

const JOBS = 200;
const SEED = 4012;
/** 100x: both runs (baseline and chaos, about 10 + 30 simulated minutes) take well under a minute of real time. */
const SPEED = 100;
/**
 * Fewer jobs, at a quarter of the speed, with standbys: every waiting standby polls Parameter Store through the test
 * bed, and at 50x under the whole suite's load (2 cores) a fresh-clone CI run stretched pickups to 762 simulated
 * seconds and lost one Spot re-run; 25x leaves the simulated timings their meaning.
 */
const STANDBY_JOBS = 80;
const STANDBY_SPEED = 25;
/**
 * Through scale sets: every fault at least once (messages are hit every n-th, sessions at seeded moments) and three
 * SIGKILLs, each costing up to the service's 2 simulated minutes before the dead process's session is let go.
 */
const SCALE_SET_JOBS = 70;
const SCALE_SET_SPEED = 50;
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

  it(`${STANDBY_JOBS} jobs with standbys under handoff faults: none lost, no standby or registration left, no JIT config used twice`, { timeout: 480_000 }, async () => {
    const outcome = await runChaos({ jobs: STANDBY_JOBS, seed: SEED, speed: STANDBY_SPEED, staticPool: STATIC_POOL, standby: { shapes: DEFAULT_STANDBY_SHAPES } });
    const r = outcome.report;
    const table = `${formatReport(r)}\n--- tornade (last lines) ---\n${outcome.chaos.tornadeOutput.slice(-4000)}`;
    const f = r.standby?.faults;
    // Every standby fault was really injected.
    expect(f, table).toBeDefined();
    expect(f?.handoffsLost, table).toBeGreaterThan(0);
    expect(f?.killedInHandoff, table).toBeGreaterThan(0);
    expect(f?.writtenTwice, table).toBeGreaterThan(0);
    expect(f?.writeFailedAfterLanding, table).toBeGreaterThan(0);
    expect(f?.controllerKillsMidHandoff, table).toBeGreaterThan(0);
    expect(f?.killedWaiting, table).toBeGreaterThan(0);
    expect(f?.spotInterruptedWaiting, table).toBeGreaterThan(0);
    expect(r.baseline, table).toMatchObject({ lost: 0, orphans: 0, drained: true, jitConfigReuses: 0 });
    // Standbys served jobs in both runs: a standby run that served none proves nothing about the handoff.
    expect(r.baseline.standby?.servedWarm, table).toBeGreaterThan(0);
    expect(r.standby?.servedWarm, table).toBeGreaterThan(0);
    expect({ lost: r.lost, orphans: r.orphans, standbysLeft: r.standby?.left, jitParametersLeft: r.jitParametersLeft, jitConfigReuses: r.jitConfigReuses }, table).toEqual({
      lost: 0,
      orphans: 0,
      standbysLeft: 0,
      jitParametersLeft: 0,
      jitConfigReuses: 0,
    });
  });

  it(`${SCALE_SET_JOBS} jobs through runner scale sets under message and session faults: none lost, nothing left behind`, { timeout: 300_000 }, async () => {
    const outcome = await runChaos({ jobs: SCALE_SET_JOBS, seed: SEED, speed: SCALE_SET_SPEED, intake: "scale-set" });
    const r = outcome.report;
    const table = `${formatReport(r)}\n--- tornade (last lines) ---\n${outcome.chaos.tornadeOutput.slice(-4000)}`;
    // Every scale set fault was really injected (each count above 0), and the SIGKILLs happened.
    const f = r.scaleSet?.faults;
    expect(f, table).toBeDefined();
    const none = Object.entries(f ?? {}).filter(([, n]) => n === 0).map(([k]) => k);
    expect(none, table).toEqual([]);
    expect(r.faults.spotInterruptions, table).toBeGreaterThan(0);
    expect(r.faults.restarts, table).toBe(3);
    // No webhook at all: the jobs came through the scale sets.
    expect(r.faults.webhooksDropped + r.faults.webhooksDuplicated, table).toBe(0);
    expect(r.baseline, table).toMatchObject({ lost: 0, orphans: 0, drained: true });
    expect(r.jobs, table).toBe(SCALE_SET_JOBS);
    expect({ lost: r.lost, orphans: r.orphans, jitConfigReuses: r.jitConfigReuses }, table).toEqual({ lost: 0, orphans: 0, jitConfigReuses: 0 });
  });
});
