/**
 * A job for a scale set, end to end through the client over real HTTP: the scale set created, its session opened,
 * the job offered (JobAvailable), acquired, assigned (JobAssigned), a runner registered with `generatejitconfig` and
 * started (the test bed's simulated runner, as a container would run it) takes it (JobStarted) and finishes it
 * (JobCompleted); the statistics follow. A runner running a job cannot be removed. No secret reaches a log line or
 * an error message.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../clock/clock.js";
import { runSimulatedRunner } from "../../../testbed/runner/runner.js";
import { listenUntil, rejection, startClientWorld, type ClientWorld } from "../../../test/support/scale-set-client.js";
import type { JobMessage } from "./types.js";

const clock = scaledClock(600);
let w: ClientWorld;
let runners: AbortController[] = [];
const errors: string[] = [];

beforeAll(async () => (w = await startClientWorld(clock)));
afterEach(() => {
  for (const r of runners) r.abort();
  runners = [];
});
afterAll(() => w.close());

const ofType = (seen: readonly JobMessage[], type: JobMessage["type"]) => seen.filter((m) => m.type === type);

function startRunner(encodedJitConfig: string) {
  const stop = new AbortController();
  runners.push(stop);
  return runSimulatedRunner(encodedJitConfig, { clock, signal: stop.signal });
}

describe("a job for a scale set", () => {
  it("is offered, acquired, assigned, taken by the runner of a JIT config from the scale set, and completed", async () => {
    const client = w.client();
    const { scaleSet } = await client.ensureScaleSet({ name: "flow-set", labels: ["linux"] });
    const session = await client.openSession(scaleSet.id, "flow-listener");
    const run = w.s.sim.control.createRun({ jobs: [{ name: "build", labels: ["flow-set", "linux"], durationSeconds: 120 }] });
    const restJobId = Number(run.jobs[0]?.id);
    const cursor = { last: 0 };

    const [offer] = await listenUntil(session, cursor, (seen) => ofType(seen, "JobAvailable").length === 1, { maxCapacity: 2 });
    expect(offer).toMatchObject({ type: "JobAvailable", job: { displayName: "build", labels: ["flow-set", "linux"], owner: w.s.sim.owner, scaleSetAssignedAt: null } });
    const requestId = offer?.job.runnerRequestId ?? 0;
    expect(await session.acquire([requestId, 987_654])).toEqual([requestId]);

    const [assigned] = await listenUntil(session, cursor, (seen) => ofType(seen, "JobAssigned").length === 1, { maxCapacity: 2 });
    expect(assigned?.job.runnerRequestId).toBe(requestId);
    expect(assigned?.job.scaleSetAssignedAt).not.toBeNull();
    expect((await client.scaleSet(scaleSet.id)).statistics).toMatchObject({ totalAvailableJobs: 0, totalAcquiredJobs: 1, totalAssignedJobs: 1 });

    const jit = await client.generateJitConfig(scaleSet.id, "flow-runner-1");
    const outcome = startRunner(jit.encodedJitConfig);
    const rest = await listenUntil(session, cursor, (seen) => ofType(seen, "JobCompleted").length === 1, { maxCapacity: 2 });
    expect(rest.map((m) => m.type)).toEqual(["JobStarted", "JobCompleted"]);
    expect(rest[0]).toMatchObject({ runner: { id: jit.runnerId, name: "flow-runner-1" }, job: { runnerRequestId: requestId } });
    expect(rest[1]).toMatchObject({ result: "succeeded", runner: { id: jit.runnerId, name: "flow-runner-1" }, job: { runnerRequestId: requestId } });
    expect(rest[1]?.job.finishedAt).not.toBeNull();

    expect((await outcome).exitCode).toBe(0);
    expect(w.s.sim.control.getJob(restJobId)).toMatchObject({ status: "completed", conclusion: "success", runner_name: "flow-runner-1" });
    // Ephemeral: the runner left with its job.
    expect(await client.runner(jit.runnerId)).toBeUndefined();
    const last = await session.poll({ lastMessageId: cursor.last, maxCapacity: 2 });
    expect(last).toBeNull();
    expect((await client.scaleSet(scaleSet.id)).statistics).toMatchObject({ totalAssignedJobs: 0, totalRunningJobs: 0, totalRegisteredRunners: 0 });
    await session.close();
  });

  it("keeps its runner while the job runs: removing it is refused as busy", async () => {
    const client = w.client();
    const { scaleSet } = await client.ensureScaleSet({ name: "busy-set" });
    const session = await client.openSession(scaleSet.id, "busy-listener");
    w.s.sim.control.createRun({ jobs: [{ name: "long", labels: ["busy-set"], durationSeconds: 36_000 }] });
    const cursor = { last: 0 };
    const [offer] = await listenUntil(session, cursor, (seen) => seen.length === 1);
    await session.acquire([offer?.job.runnerRequestId ?? 0]);
    const jit = await client.generateJitConfig(scaleSet.id, "busy-runner");
    void startRunner(jit.encodedJitConfig);
    await listenUntil(session, cursor, (seen) => ofType(seen, "JobStarted").length === 1);
    const e = await rejection(client.removeRunner(jit.runnerId));
    expect(e.kind).toBe("busy");
    expect(e.details.typeName).toBe("JobStillRunningException");
    errors.push(e.message);
    expect((await client.scaleSet(scaleSet.id)).statistics).toMatchObject({ totalRunningJobs: 1, totalBusyRunners: 1 });
    await session.close();
  });
});

describe("secrets", () => {
  it("no token or JIT config reached a log line or an error message", () => {
    expect([...w.secrets].some((s) => s.length > 200)).toBe(true); // the JIT configs are among them
    expect(w.leaks([...w.logger.lines, ...errors].join("\n"))).toEqual([]);
  });
});
