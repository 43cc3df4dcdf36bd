/**
 * The message queue (session_client.go GetMessage / DeleteMessage): the long poll answers 202 with no body when there
 * is nothing, 200 with one RunnerScaleSetJobMessages message of at most 50 job messages otherwise; it needs
 * X-ScaleSetMaxCapacity; a message stays until deleted and is handed again to any poll from an earlier lastMessageId —
 * a new session's included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { ack, admin, call, closeChecked, createScaleSet, openSession, poll, startConnected, STEADY, type CheckedScaleSetSim, type Connection } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;
let c: Connection;

beforeAll(async () => ({ s, c } = await startConnected(clock)));
afterAll(() => closeChecked(s));

const job = (name: string, labels: string[]) => ({ name, labels, durationSeconds: 60 });

describe("the long poll", () => {
  it("answers 202 with no body when nothing comes", async () => {
    const set = await createScaleSet(c, "empty-queue");
    const session = await openSession(c, set.id);
    const r = await poll(session);
    expect(r.status).toBe(202);
    expect(r.json).toBeUndefined();
  });

  it("needs X-ScaleSetMaxCapacity (an integer ≥ 0) and a numeric lastMessageId", async () => {
    const set = await createScaleSet(c, "capacity-header");
    const session = await openSession(c, set.id);
    expect((await poll(session, { capacity: null })).status).toBe(400);
    const negative = await call("GET", session.messageQueueUrl, { auth: `Bearer ${session.messageQueueAccessToken}`, headers: { "x-scalesetmaxcapacity": "-1" } });
    expect(negative.status).toBe(400);
    expect((negative.json as { message: string }).message).toContain("X-ScaleSetMaxCapacity");
    const junk = await call("GET", `${session.messageQueueUrl}&lastMessageId=abc`, { auth: `Bearer ${session.messageQueueAccessToken}`, headers: { "x-scalesetmaxcapacity": "3" } });
    expect(junk.status).toBe(400);
    expect((await poll(session, { capacity: 0 })).status).toBe(202);
    expect(s.sim.control.scaleSets.list().find((x) => x.id === set.id)?.maxCapacity).toBe(0);
  });

  it("delivers JobAvailable for a job whose runs-on names the scale set, with the job's particulars", async () => {
    const set = await createScaleSet(c, "msg-set", ["msg-set", "linux"]);
    const session = await openSession(c, set.id);
    const run = s.sim.control.createRun({ workflowName: "Build", jobs: [job("compile", ["msg-set", "LINUX"]), job("elsewhere", ["self-hosted", "other"])] });
    const r = await poll(session);
    expect(r.status).toBe(200);
    expect(r.jobs).toHaveLength(1);
    const m = r.jobs[0] as Record<string, unknown>;
    expect(m).toMatchObject({
      messageType: "JobAvailable",
      repositoryName: s.sim.repo,
      ownerName: s.sim.owner,
      jobDisplayName: "compile",
      workflowRunId: run.id,
      eventName: "push",
      requestLabels: ["msg-set", "LINUX"],
      acquireJobUrl: `${c.serviceUrl}_apis/runtime/runnerscalesets/${set.id}/acquirejobs`,
      scaleSetAssignTime: "0001-01-01T00:00:00Z",
    });
    const held = s.sim.control.scaleSets.jobs().find((j) => j.jobId === run.jobs[0]?.id);
    expect(held).toMatchObject({ scaleSetId: set.id, runnerRequestId: m["runnerRequestId"], state: "available" });
    expect(r.statistics).toMatchObject({ totalAvailableJobs: 1, totalAssignedJobs: 0 });
    // The other job is no scale set's.
    expect(s.sim.control.scaleSets.jobs().some((j) => j.jobId === run.jobs[1]?.id)).toBe(false);
  });

  it("returns as soon as a message comes, not at the end of the wait", async () => {
    const set = await createScaleSet(c, "wake-set");
    const session = await openSession(c, set.id);
    s.sim.control.scaleSets.configure({ pollWaitMs: 3_600_000 });
    try {
      const waiting = poll(session);
      await clock.sleep(1_000);
      s.sim.control.createRun({ jobs: [job("wake", ["wake-set"])] });
      const r = await waiting;
      expect(r.status).toBe(200);
      expect(r.jobs.map((j) => j.messageType)).toEqual(["JobAvailable"]);
    } finally {
      s.sim.control.scaleSets.configure({ pollWaitMs: STEADY.pollWaitMs });
    }
  });
});

describe("acknowledgement and redelivery", () => {
  it("keeps a message until it is deleted; polls from an earlier lastMessageId get it again", async () => {
    const set = await createScaleSet(c, "ack-set");
    const session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: [job("one", ["ack-set"])] });
    const first = await poll(session);
    const id = Number(first.messageId);
    const again = await poll(session, { lastMessageId: 0 });
    expect(again.messageId).toBe(id);
    expect(again.jobs).toEqual(first.jobs);
    expect(s.sim.control.scaleSets.list().find((x) => x.id === set.id)?.queue.undeleted).toEqual([{ id, messageTypes: ["JobAvailable"], deliveries: 2 }]);
    // Nothing newer than the last processed message.
    expect((await poll(session, { lastMessageId: id })).status).toBe(202);
    expect((await ack(session, id)).status).toBe(204);
    // Deleting is idempotent (a retried DELETE succeeds); a message never delivered is a 404.
    expect((await ack(session, id)).status).toBe(204);
    expect((await ack(session, id + 1000)).status).toBe(404);
    expect((await poll(session, { lastMessageId: 0 })).status).toBe(202);
  });

  it("hands a new session what the old one never deleted (a listener that died before acknowledging)", async () => {
    const set = await createScaleSet(c, "redeliver-set");
    const dead = await openSession(c, set.id, "dies");
    s.sim.control.createRun({ jobs: [job("survives", ["redeliver-set"])] });
    const lost = await poll(dead);
    expect(lost.status).toBe(200);
    expect((await admin(c, "DELETE", `_apis/runtime/runnerscalesets/${set.id}/sessions/${dead.sessionId}`)).status).toBe(204);
    const heir = await openSession(c, set.id, "restarted");
    const r = await poll(heir);
    expect(r.messageId).toBe(lost.messageId);
    expect(r.jobs.map((j) => j.jobDisplayName)).toEqual(["survives"]);
  });

  it("packs at most 50 job messages in one message, in queue order, with increasing ids", async () => {
    const set = await createScaleSet(c, "batch-set");
    const session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: Array.from({ length: 60 }, (_, i) => job(`j${i}`, ["batch-set"])) });
    const a = await poll(session, { capacity: 100 });
    expect(a.jobs).toHaveLength(50);
    expect(a.jobs.map((j) => j.jobDisplayName)).toEqual(Array.from({ length: 50 }, (_, i) => `j${i}`));
    await ack(session, Number(a.messageId));
    const b = await poll(session, { capacity: 100, lastMessageId: Number(a.messageId) });
    expect(b.jobs.map((j) => j.jobDisplayName)).toEqual(Array.from({ length: 10 }, (_, i) => `j${50 + i}`));
    expect(Number(b.messageId)).toBeGreaterThan(Number(a.messageId));
    expect(b.statistics?.totalAvailableJobs).toBe(60);
  });

  it("is closed to another scale set's session token", async () => {
    const mine = await createScaleSet(c, "token-mine");
    const theirs = await createScaleSet(c, "token-theirs");
    const mySession = await openSession(c, mine.id);
    const theirSession = await openSession(c, theirs.id);
    const crossed = await call("GET", theirSession.messageQueueUrl, { auth: `Bearer ${mySession.messageQueueAccessToken}`, headers: { "x-scalesetmaxcapacity": "1" } });
    expect(crossed.status).toBe(401);
  });
});
