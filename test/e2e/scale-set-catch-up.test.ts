/**
 * Scale-set mode's statistics round and a listener that has not caught up (docs/scale-sets.md "Spare runners"), end to
 * end against the test bed: while tornade's session is refused (a rogue holds it, as a SIGKILLed tornade's session
 * lives on until the service lapses it), the service assigns jobs whose JobAssigned messages wait in the queue. The
 * statistics count them, nothing is stored for them, and the grace runs out; yet no spare runner starts, because
 * the listener has not caught up with its queue and their messages may come: once the session is tornade's again,
 * each job gets its own runner.
 * Before: a spare started for each after the grace, then each job's own runner too — one runner per job too many
 * (found by the chaos run with --intake scale-set: 25 % extra launches at 300 jobs, almost all after a SIGKILL).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { isScaleSetJob, parseSpareRunnerName } from "../../src/core/scale-set.js";
import { runnerName } from "../../src/core/reconcile.js";
import type { RunningTornade } from "../../src/server/run.js";
import { NO_JOB } from "../../src/store/store.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { startScaleSetTornade } from "../support/scale-set-tornade.js";

const SPEED = 300;
const DAY = 24 * 3600_000;
const SET = "catch-up";
/** The statistics round's period (TORNADE_SCALE_SETS_INTERVAL_SECONDS); the grace is two of them. */
const ROUND_S = 10;
const STATISTICS = "GET /_apis/runtime/runnerscalesets/{scaleSetId}";
const OPEN_SESSION = "POST /_apis/runtime/runnerscalesets/{scaleSetId}/sessions";

let bed: TestBed;
let tornade: RunningTornade;
let statisticsReads = 0;
let sessionsRefused = 0;

beforeAll(async () => {
  const clock = scaledClock(SPEED);
  // Direct assignment (the public client's listener at HEAD): the service assigns each job itself, so the statistics
  // count it the moment its JobAssigned is queued. No requeue, and the rogue's session lives until it is ended.
  bed = await startTestBed({
    clock,
    runnerLog: () => {},
    github: {
      runnerLostAfterMs: 30 * 60_000,
      scaleSets: { assignment: "direct", requeueAfterMs: DAY, sessionIdleTimeoutMs: DAY },
      onScaleSetResponse: (r) => {
        if (`${r.method} ${r.route}` === STATISTICS && r.status === 200) statisticsReads++;
        if (`${r.method} ${r.route}` === OPEN_SESSION && r.status === 409) sessionsRefused++;
      },
    },
  });
  tornade = await startScaleSetTornade(bed, clock, { sets: `${SET}=FARGATE/X86_64:0-10`, env: { TORNADE_INTAKE: "scale-sets", TORNADE_SCALE_SETS_INTERVAL_SECONDS: String(ROUND_S) } });
}, 60_000);

afterAll(async () => {
  await tornade?.close();
  await bed?.close();
});

const view = () => bed.github.control.scaleSets.list().find((s) => s.name === SET);

describe("a scale set whose messages wait for a session tornade cannot have yet", () => {
  it("starts no spare for the jobs the statistics count, and serves each with its own runner once the messages come", async () => {
    const set = await until("tornade's session, polled (its capacity reported)", () => {
      const v = view();
      return v?.session?.alive && v.session.ownerName !== "rogue" && (v.maxCapacity ?? 0) > 0 && v;
    }, 20_000);
    expect(bed.github.control.scaleSets.takeSession(set.id, "rogue")).toBe(true);
    // tornade's poll held at that moment may still hand what comes; once its new session is refused, none is held.
    await until("tornade's new session to be refused", () => sessionsRefused > 0, 20_000);

    const run = bed.github.control.createRun({ jobs: ["a", "b", "c"].map((name) => ({ name, labels: [SET], durationSeconds: 30 })) });
    const ids = run.jobs.map((j) => Number(j.id));
    await until("the service to assign the jobs, their messages queued", () => view()?.statistics.totalAssignedJobs === ids.length, 20_000);
    // More statistics rounds than the grace lasts (two rounds): before, the spares were started by now.
    const seen = statisticsReads;
    await until("four statistics rounds while the rogue holds the session", () => statisticsReads >= seen + 4, 30_000);
    expect(view()?.session?.ownerName).toBe("rogue");
    const spares = async () => (await tornade.built.store.listLaunches(NO_JOB)).filter((l) => parseSpareRunnerName(l.runnerName));
    expect(await spares()).toEqual([]);

    // The rogue lets go: tornade's next try opens the session, the waiting messages come, each job gets its runner.
    bed.github.control.scaleSets.endSession(set.id);
    const done = await until("the three jobs to complete", () => {
      const jobs = ids.map((id) => bed.github.control.getJob(id));
      return jobs.every((j) => j?.status === "completed") && jobs;
    }, 60_000);
    const stored = (await tornade.built.store.listJobs({ limit: 100 })).jobs.filter((j) => isScaleSetJob(j.id));
    expect(stored).toHaveLength(3);
    expect(done.map((j) => j?.runner_name).sort()).toEqual(stored.map((j) => runnerName(j.id, 1)).sort());
    expect(await spares()).toEqual([]);
  });
});
