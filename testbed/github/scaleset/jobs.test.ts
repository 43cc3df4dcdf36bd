/**
 * A job whose `runs-on` names a scale set, end to end: JobAvailable → acquirejobs → JobAssigned → a runner started
 * with the scale set's JIT config (the test bed's simulated runner) takes it → JobStarted → JobCompleted; statistics
 * along the way; requeues of a job not acquired, or not started, in time; capacity; direct assignment; runners of a
 * scale set and the removal of runners.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { runSimulatedRunner } from "../../runner/runner.js";
import { until } from "../test-support.js";
import {
  acquire,
  admin,
  closeChecked,
  createScaleSet,
  listen,
  ofType,
  openSession,
  poll,
  startConnected,
  STEADY,
  type CheckedScaleSetSim,
  type Connection,
} from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;
let c: Connection;
let runners: AbortController[] = [];

beforeAll(async () => ({ s, c } = await startConnected(clock)));
afterEach(() => {
  for (const r of runners) r.abort();
  runners = [];
  s.sim.control.scaleSets.configure({ assignment: "acquire", requeueAfterMs: STEADY.requeueAfterMs, maxRequeues: 3 });
});
afterAll(() => closeChecked(s));

const RSS = "_apis/runtime/runnerscalesets";

/** generatejitconfig for the scale set, then the simulated runner started with the config, as a container would be. */
async function startRunner(scaleSetId: number, name: string) {
  const r = await admin(c, "POST", `${RSS}/${scaleSetId}/generatejitconfig`, { name, workFolder: "_work" });
  expect(r.status).toBe(200);
  const jit = r.json as { runner: { id: number; name: string; runnerScaleSetId: number }; encodedJITConfig: string };
  const stop = new AbortController();
  runners.push(stop);
  const outcome = runSimulatedRunner(jit.encodedJITConfig, { clock, signal: stop.signal });
  return { runner: jit.runner, outcome };
}

const oneJob = (name: string, labels: string[], durationSeconds = 120) => s.sim.control.createRun({ jobs: [{ name, labels, durationSeconds }] });

describe("a job for a scale set", () => {
  it("goes JobAvailable → acquire → JobAssigned → JobStarted → JobCompleted, run by a runner from the scale set's JIT config", async () => {
    const set = await createScaleSet(c, "e2e-set");
    const session = await openSession(c, set.id);
    const run = oneJob("build", ["e2e-set"]);
    const jobId = Number(run.jobs[0]?.id);

    const offered = await listen(session, (seen) => ofType(seen, "JobAvailable").length === 1);
    const requestId = Number(offered[0]?.runnerRequestId);
    const acquired = await acquire(c, session, set.id, [requestId, 987_654]);
    expect(acquired.json).toEqual({ count: 1, value: [requestId] });

    const assigned = await listen(session, (seen) => ofType(seen, "JobAssigned").length === 1);
    expect(assigned[0]).toMatchObject({ runnerRequestId: requestId, jobDisplayName: "build" });
    expect(assigned[0]?.scaleSetAssignTime).not.toBe("0001-01-01T00:00:00Z");
    const stats = await admin(c, "GET", `${RSS}/${set.id}`);
    expect((stats.json as { statistics: object }).statistics).toMatchObject({ totalAvailableJobs: 0, totalAcquiredJobs: 1, totalAssignedJobs: 1, totalRunningJobs: 0 });

    const { runner, outcome } = await startRunner(set.id, "e2e-runner-1");
    expect(runner).toMatchObject({ name: "e2e-runner-1", runnerScaleSetId: set.id });
    const rest = await listen(session, (seen) => ofType(seen, "JobCompleted").length === 1);
    expect(rest.map((m) => m.messageType)).toEqual(["JobStarted", "JobCompleted"]);
    expect(rest[0]).toMatchObject({ runnerRequestId: requestId, runnerId: runner.id, runnerName: "e2e-runner-1" });
    expect(rest[1]).toMatchObject({ runnerRequestId: requestId, result: "succeeded", runnerId: runner.id, runnerName: "e2e-runner-1" });
    expect(rest[1]?.finishTime).not.toBe("0001-01-01T00:00:00Z");

    expect((await outcome).exitCode).toBe(0);
    expect(s.sim.control.getJob(jobId)).toMatchObject({ status: "completed", conclusion: "success", runner_name: "e2e-runner-1" });
    // Ephemeral: the runner is gone with its job, and the scale set holds nothing.
    expect(s.sim.control.listRunners().some((r) => r.id === runner.id)).toBe(false);
    const after = await admin(c, "GET", `${RSS}/${set.id}`);
    expect((after.json as { statistics: object }).statistics).toMatchObject({ totalAssignedJobs: 0, totalRunningJobs: 0, totalRegisteredRunners: 0 });
  });

  it("counts a running job, its busy runner and idle ones in the statistics, and refuses to remove the busy runner", async () => {
    const set = await createScaleSet(c, "stats-set");
    const session = await openSession(c, set.id);
    oneJob("long", ["stats-set"], 36_000);
    const [offer] = await listen(session, (seen) => seen.length === 1);
    await acquire(c, session, set.id, [Number(offer?.runnerRequestId)]);
    const busy = await startRunner(set.id, "stats-busy");
    await listen(session, (seen) => ofType(seen, "JobStarted").length === 1);
    const idle = await startRunner(set.id, "stats-idle");
    await until(() => s.sim.control.listRunners().some((r) => r.name === "stats-idle" && r.status === "online"), "the idle runner to come online");
    const r = await admin(c, "GET", `${RSS}/${set.id}`);
    expect((r.json as { statistics: object }).statistics).toEqual({
      totalAvailableJobs: 0,
      totalAcquiredJobs: 0,
      totalAssignedJobs: 1,
      totalRunningJobs: 1,
      totalRegisteredRunners: 2,
      totalBusyRunners: 1,
      totalIdleRunners: 1,
    });
    const refused = await admin(c, "DELETE", `_apis/distributedtask/pools/0/agents/${busy.runner.id}`);
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ typeName: "JobStillRunningException" });
    // The idle runner can go: it leaves at once.
    expect((await admin(c, "DELETE", `_apis/distributedtask/pools/0/agents/${idle.runner.id}`)).status).toBe(204);
    expect((await idle.outcome).reason).toContain("removed");
  });

  it("is taken only by the scale set's runners, which take nothing else", async () => {
    const set = await createScaleSet(c, "iso-set");
    const session = await openSession(c, set.id);
    // A plain runner carrying the scale set's name as a label, and a job for a plain runner with another label.
    const plain = s.sim.control.createStaticRunner({ name: "plain-iso", labels: ["iso-set", "plain"] });
    const stop = new AbortController();
    runners.push(stop);
    void runSimulatedRunner(plain.encodedJitConfig, { clock, signal: stop.signal });
    await until(() => s.sim.control.listRunners().some((r) => r.name === "plain-iso" && r.status === "online"), "the plain runner to come online");

    const setJob = Number(oneJob("for-set", ["iso-set"]).jobs[0]?.id);
    const [offer] = await listen(session, (seen) => seen.length === 1);
    expect(s.sim.control.getJob(setJob)?.status).toBe("queued");
    await acquire(c, session, set.id, [Number(offer?.runnerRequestId)]);
    await startRunner(set.id, "iso-jit");
    await until(() => s.sim.control.getJob(setJob)?.status === "completed", "the scale set's job to complete");
    expect(s.sim.control.getJob(setJob)?.runner_name).toBe("iso-jit");

    const idleJit = await startRunner(set.id, "iso-jit-idle");
    await until(() => s.sim.control.listRunners().some((r) => r.name === "iso-jit-idle" && r.status === "online"), "the idle JIT runner to come online");
    const plainJob = Number(oneJob("for-plain", ["plain"]).jobs[0]?.id);
    await until(() => s.sim.control.getJob(plainJob)?.status === "completed", "the plain job to complete");
    expect(s.sim.control.getJob(plainJob)?.runner_name).toBe("plain-iso");
    expect(s.sim.control.listRunners().find((r) => r.id === idleJit.runner.id)?.busy).toBe(false);
  });

  it("completes as canceled when its run is cancelled before it runs", async () => {
    const set = await createScaleSet(c, "cancel-set");
    const session = await openSession(c, set.id);
    const run = oneJob("doomed", ["cancel-set"]);
    await listen(session, (seen) => seen.length === 1);
    s.sim.control.cancelRun(run.id);
    const [done] = await listen(session, (seen) => seen.length === 1);
    expect(done).toMatchObject({ messageType: "JobCompleted", result: "canceled", jobDisplayName: "doomed", runnerId: 0, runnerName: "" });
    expect(s.sim.control.scaleSets.jobs().some((j) => j.jobId === run.jobs[0]?.id)).toBe(false);
  });
});

describe("requeue", () => {
  it("offers a job again when it is not acquired in time, up to three times", async () => {
    s.sim.control.scaleSets.configure({ requeueAfterMs: 60_000 });
    const set = await createScaleSet(c, "unacquired-set");
    const session = await openSession(c, set.id);
    const jobId = Number(oneJob("ignored", ["unacquired-set"]).jobs[0]?.id);
    const offers = await listen(session, (seen) => ofType(seen, "JobAvailable").length === 4);
    expect(new Set(offers.map((m) => m.runnerRequestId)).size).toBe(1);
    expect(s.sim.control.scaleSets.jobs().find((j) => j.jobId === jobId)).toMatchObject({ state: "available", requeues: 3 });
    // No fourth requeue: the job waits for the scale set.
    await clock.sleep(3 * 60_000);
    expect((await poll(session)).status).toBe(202);
    const late = await acquire(c, session, set.id, [Number(offers[0]?.runnerRequestId)]);
    expect((late.json as { count: number }).count).toBe(1);
  });

  it("requeues a job assigned but not started by a runner in time: offered again, no longer counted as assigned", async () => {
    s.sim.control.scaleSets.configure({ requeueAfterMs: 60_000 });
    const set = await createScaleSet(c, "unstarted-set");
    const session = await openSession(c, set.id);
    oneJob("no-runner", ["unstarted-set"]);
    const [offer] = await listen(session, (seen) => seen.length === 1);
    const id = Number(offer?.runnerRequestId);
    await acquire(c, session, set.id, [id]);
    const seen = await listen(session, (m) => ofType(m, "JobAvailable").length === 1);
    expect(seen.map((m) => m.messageType)).toEqual(["JobAssigned", "JobAvailable"]);
    expect(seen[1]?.runnerRequestId).toBe(id);
    expect(seen[1]?.scaleSetAssignTime).toBe("0001-01-01T00:00:00Z");
    const r = await admin(c, "GET", `${RSS}/${set.id}`);
    expect((r.json as { statistics: object }).statistics).toMatchObject({ totalAvailableJobs: 1, totalAssignedJobs: 0 });
    // Acquired again, and a runner comes this time (with time to spare: no further requeue).
    s.sim.control.scaleSets.configure({ requeueAfterMs: STEADY.requeueAfterMs });
    await acquire(c, session, set.id, [id]);
    await startRunner(set.id, "unstarted-late");
    const end = await listen(session, (m) => ofType(m, "JobCompleted").length === 1);
    expect(end.map((m) => m.messageType)).toEqual(["JobAssigned", "JobStarted", "JobCompleted"]);
  });
});

describe("capacity and assignment", () => {
  it("acquires no more jobs than the capacity the listener reports", async () => {
    const set = await createScaleSet(c, "cap-set");
    const session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: [1, 2, 3].map((i) => ({ name: `cap-${i}`, labels: ["cap-set"], durationSeconds: 60 })) });
    const offers = await listen(session, (seen) => seen.length === 3, { capacity: 2 });
    const ids = offers.map((m) => Number(m.runnerRequestId));
    const got = await acquire(c, session, set.id, ids);
    expect(got.json).toEqual({ count: 2, value: ids.slice(0, 2) });
    // One job done frees room for the third.
    await startRunner(set.id, "cap-runner");
    await listen(session, (seen) => ofType(seen, "JobCompleted").length === 1, { capacity: 2 });
    expect((await acquire(c, session, set.id, [ids[2] as number])).json).toEqual({ count: 1, value: [ids[2]] });
  });

  it("in direct assignment, assigns jobs itself (JobAssigned only), within capacity", async () => {
    s.sim.control.scaleSets.configure({ assignment: "direct" });
    const set = await createScaleSet(c, "direct-set");
    const session = await openSession(c, set.id);
    expect((await poll(session, { capacity: 0 })).status).toBe(202);
    oneJob("direct-job", ["direct-set"]);
    // Capacity 0: the job waits, counted as available, with no message.
    expect((await poll(session, { capacity: 0 })).status).toBe(202);
    const held = await admin(c, "GET", `${RSS}/${set.id}`);
    expect((held.json as { statistics: object }).statistics).toMatchObject({ totalAvailableJobs: 1, totalAssignedJobs: 0 });
    const assigned = await listen(session, (seen) => seen.length === 1, { capacity: 1 });
    expect(assigned.map((m) => m.messageType)).toEqual(["JobAssigned"]);
    await startRunner(set.id, "direct-runner");
    const rest = await listen(session, (seen) => ofType(seen, "JobCompleted").length === 1, { capacity: 1 });
    expect(rest.map((m) => m.messageType)).toEqual(["JobStarted", "JobCompleted"]);
  });
});

describe("runners of a scale set", () => {
  it("are found by id and by name, named uniquely, and removed", async () => {
    const set = await createScaleSet(c, "runner-set");
    const first = await admin(c, "POST", `${RSS}/${set.id}/generatejitconfig`, { name: "rs-runner", workFolder: "_work" });
    const ref = (first.json as { runner: { id: number } }).runner;
    const dup = await admin(c, "POST", `${RSS}/${set.id}/generatejitconfig`, { name: "rs-runner", workFolder: "_work" });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ typeName: "AgentExistsException" });
    expect((await admin(c, "GET", "_apis/distributedtask/pools/0/agents?agentName=rs-runner")).json).toEqual({ count: 1, value: [{ id: ref.id, name: "rs-runner", runnerScaleSetId: set.id }] });
    expect((await admin(c, "GET", `_apis/distributedtask/pools/0/agents/${ref.id}`)).json).toEqual({ id: ref.id, name: "rs-runner", runnerScaleSetId: set.id });
    expect((await admin(c, "DELETE", `_apis/distributedtask/pools/0/agents/${ref.id}`)).status).toBe(204);
    const gone = await admin(c, "GET", `_apis/distributedtask/pools/0/agents/${ref.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ typeName: "AgentNotFoundException" });
    expect((await admin(c, "GET", "_apis/distributedtask/pools/0/agents?agentName=rs-runner")).json).toEqual({ count: 0, value: [] });
  });

  it("leave with their scale set, whose waiting jobs go back to runners chosen by label", async () => {
    const set = await createScaleSet(c, "going-set");
    const session = await openSession(c, set.id);
    const idle = await admin(c, "POST", `${RSS}/${set.id}/generatejitconfig`, { name: "going-runner", workFolder: "" });
    const jobId = Number(oneJob("stranded", ["going-set"]).jobs[0]?.id);
    await listen(session, (seen) => seen.length === 1);
    expect((await admin(c, "DELETE", `${RSS}/${set.id}`)).status).toBe(204);
    expect(s.sim.control.listRunners().some((r) => r.id === (idle.json as { runner: { id: number } }).runner.id)).toBe(false);
    expect(s.sim.control.scaleSets.jobs().some((j) => j.jobId === jobId)).toBe(false);
    const plain = s.sim.control.createStaticRunner({ name: "by-label", labels: ["going-set"] });
    const stop = new AbortController();
    runners.push(stop);
    void runSimulatedRunner(plain.encodedJitConfig, { clock, signal: stop.signal });
    await until(() => s.sim.control.getJob(jobId)?.status === "completed", "the stranded job to run by label");
    expect(s.sim.control.getJob(jobId)?.runner_name).toBe("by-label");
  });

  it("take jobs queued before their scale set existed", async () => {
    const jobId = Number(oneJob("early-bird", ["late-set"]).jobs[0]?.id);
    const set = await createScaleSet(c, "late-set");
    const session = await openSession(c, set.id);
    const [offer] = await listen(session, (seen) => seen.length === 1);
    expect(offer).toMatchObject({ messageType: "JobAvailable", jobDisplayName: "early-bird" });
    expect(s.sim.control.scaleSets.jobs().find((j) => j.jobId === jobId)?.scaleSetId).toBe(set.id);
  });
});
