/**
 * The faults a scale set listener must live through, injected through the control API (in process and over HTTP):
 * broker 5xx, slow polls, real-time latency, session token expiry and sessions the service forgets; and the hooks a
 * chaos run decides through: job messages lost or queued twice, poll answers lost, a session taken by a rogue.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { admin, call, closeChecked, createScaleSet, listen, openSession, poll, startConnected, type CheckedScaleSetSim, type Connection } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;
let c: Connection;

beforeAll(async () => ({ s, c } = await startConnected(clock)));
afterEach(() => s.sim.control.clearFaults());
afterAll(() => closeChecked(s));

const MESSAGES = "/_apis/runtime/runnerscalesets/{scaleSetId}/messages";
const control = (method: string, path: string, body?: unknown) => call(method, `${s.sim.url}${path}`, body === undefined ? {} : { body });

describe("broker 5xx", () => {
  it("answers the status on the next calls of a route, then recovers; messages are not lost meanwhile", async () => {
    const set = await createScaleSet(c, "flaky-broker");
    const session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: [{ name: "meanwhile", labels: ["flaky-broker"], durationSeconds: 60 }] });
    s.sim.control.scaleSets.fail({ method: "GET", route: MESSAGES, status: 503, times: 2 });
    for (const _ of [1, 2]) {
      const r = await poll(session);
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ typeName: "ServiceUnavailableException" });
    }
    const after = await poll(session);
    expect(after.jobs.map((j) => j.jobDisplayName)).toEqual(["meanwhile"]);
    expect(s.sim.control.stats().responses[`GET ${MESSAGES} 503`]).toBe(2);
  });

  it("fails every route when none is named, and is set over HTTP too", async () => {
    const added = await control("POST", "/_control/scale-set-faults", { kind: "fail", status: 500, times: 2 });
    expect(added.status).toBe(201);
    expect((await admin(c, "GET", "_apis/runtime/runnergroups/")).status).toBe(500);
    expect((await admin(c, "GET", "_apis/runtime/runnerscalesets")).status).toBe(500);
    expect((await admin(c, "GET", "_apis/runtime/runnerscalesets")).status).toBe(200);
    expect((await control("POST", "/_control/scale-set-faults", { kind: "fail", status: 404, times: 1 })).status).toBe(422);
  });
});

describe("slow polls", () => {
  it("hold a poll the given clock time before it delivers what is waiting", async () => {
    const set = await createScaleSet(c, "slow-polls");
    const session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: [{ name: "waiting", labels: ["slow-polls"], durationSeconds: 60 }] });
    s.sim.control.scaleSets.slowPolls(40_000, 1);
    const before = clock.now();
    const r = await poll(session);
    expect(r.jobs.map((j) => j.jobDisplayName)).toEqual(["waiting"]);
    // The sim waited 40 s of its clock before looking at the queue (a lower bound, not a duration measured).
    expect(clock.now() - before).toBeGreaterThanOrEqual(40_000);
    expect((await poll(session, { lastMessageId: Number(r.messageId) })).status).toBe(202);
  });

  it("are set over HTTP, and real-time latency applies to the service's routes too", async () => {
    expect((await control("POST", "/_control/scale-set-faults", { kind: "slow-polls", ms: 1_000 })).status).toBe(201);
    expect((await control("DELETE", "/_control/scale-set-faults")).status).toBe(204);
    s.sim.control.slowEndpoint({ method: "GET", route: "/_apis/runtime/runnergroups", ms: 50 });
    const t = Date.now();
    expect((await admin(c, "GET", "_apis/runtime/runnergroups/")).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(45);
  });
});

describe("session faults over HTTP", () => {
  it("expire a token and end a session, after which the client recovers as session_client.go does", async () => {
    const set = await createScaleSet(c, "session-faults");
    let session = await openSession(c, set.id);
    expect((await control("POST", `/_control/scale-sets/${set.id}/expire-token`)).status).toBe(200);
    expect((await poll(session)).status).toBe(401);
    const refreshed = await admin(c, "PATCH", `_apis/runtime/runnerscalesets/${set.id}/sessions/${session.sessionId}`);
    session = refreshed.json as typeof session;
    expect((await poll(session)).status).toBe(202);

    expect((await control("POST", `/_control/scale-sets/${set.id}/end-session`)).status).toBe(200);
    expect((await poll(session)).status).toBe(401);
    expect((await admin(c, "PATCH", `_apis/runtime/runnerscalesets/${set.id}/sessions/${session.sessionId}`)).status).toBe(404);
    session = await openSession(c, set.id);
    s.sim.control.createRun({ jobs: [{ name: "after-recovery", labels: ["session-faults"], durationSeconds: 60 }] });
    const seen = await listen(session, (m) => m.length === 1);
    expect(seen[0]?.jobDisplayName).toBe("after-recovery");
    expect((await control("POST", "/_control/scale-sets/4242/end-session")).status).toBe(404);
  });
});

describe("fault hooks", () => {
  it("lose a published job message for good, or queue it twice, as the hook decides", async () => {
    const set = await createScaleSet(c, "message-fates");
    const session = await openSession(c, set.id);
    const fates = ["duplicate", "drop"] as const;
    let n = 0;
    const decided: string[] = [];
    s.sim.control.scaleSets.interceptMessages((m) => {
      decided.push(m.messageType);
      return fates[n++];
    });
    s.sim.control.createRun({ jobs: [{ name: "twice", labels: ["message-fates"], durationSeconds: 60 }] });
    s.sim.control.createRun({ jobs: [{ name: "never", labels: ["message-fates"], durationSeconds: 60 }] });
    const r = await poll(session);
    expect(decided).toEqual(["JobAvailable", "JobAvailable"]);
    expect(r.jobs.map((j) => `${j.messageType}:${String(j.jobDisplayName)}`)).toEqual(["JobAvailable:twice", "JobAvailable:twice"]);
    expect((await poll(session, { lastMessageId: Number(r.messageId) })).status).toBe(202);
  });

  it("lose a poll's answer after the message was handed: the message stays, and the next poll gets it again", async () => {
    const set = await createScaleSet(c, "answer-lost");
    const session = await openSession(c, set.id);
    const handed: number[] = [];
    s.sim.control.scaleSets.loseAnswers((m) => {
      handed.push(m.deliveries);
      return m.scaleSetId === set.id && m.deliveries === 1;
    });
    s.sim.control.createRun({ jobs: [{ name: "lost-answer", labels: ["answer-lost"], durationSeconds: 60 }] });
    const lost = await poll(session);
    expect(lost.status).toBe(502);
    expect(lost.json).toMatchObject({ typeName: "BadGatewayException" });
    const again = await poll(session);
    expect(again.jobs.map((j) => j.jobDisplayName)).toEqual(["lost-answer"]);
    expect(handed).toEqual([1, 2]);
    const view = s.sim.control.scaleSets.list().find((x) => x.id === set.id);
    expect(view?.queue.undeleted).toEqual([{ id: again.messageId, messageTypes: ["JobAvailable"], deliveries: 2 }]);
  });

  it("let a rogue take a session: the holder's token stops working, its new session is refused while the rogue's lives", async () => {
    const set = await createScaleSet(c, "rogue");
    const session = await openSession(c, set.id, "holder");
    expect(s.sim.control.scaleSets.takeSession(set.id, "rogue")).toBe(true);
    expect((await poll(session)).status).toBe(401);
    expect((await admin(c, "PATCH", `_apis/runtime/runnerscalesets/${set.id}/sessions/${session.sessionId}`)).status).toBe(404);
    const refused = await admin(c, "POST", `_apis/runtime/runnerscalesets/${set.id}/sessions`, { ownerName: "holder" });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ typeName: "RunnerScaleSetSessionConflictException" });
    expect(s.sim.control.scaleSets.list().find((x) => x.id === set.id)?.session).toMatchObject({ ownerName: "rogue", alive: true });
    expect(s.sim.control.scaleSets.endSession(set.id)).toBe(true);
    expect((await openSession(c, set.id, "holder")).ownerName).toBe("holder");
    expect(s.sim.control.scaleSets.takeSession(4242, "rogue")).toBe(false);
  });
});

describe("the control API", () => {
  it("lists scale sets and their jobs, and changes options", async () => {
    const set = await createScaleSet(c, "control-view", ["control-view", "extra"]);
    await openSession(c, set.id, "viewer");
    const run = s.sim.control.createRun({ jobs: [{ name: "viewed", labels: ["extra"], durationSeconds: 60 }] });
    const list = (await control("GET", "/_control/scale-sets")).json as { id: number; labels: string[]; session: { ownerName: string }; statistics: { totalAvailableJobs: number } }[];
    expect(list.find((x) => x.id === set.id)).toMatchObject({ labels: ["control-view", "extra"], session: { ownerName: "viewer" }, statistics: { totalAvailableJobs: 1 } });
    const jobs = (await control("GET", "/_control/scale-sets/jobs")).json as { jobId: number; scaleSetId: number }[];
    expect(jobs.find((j) => j.jobId === run.jobs[0]?.id)?.scaleSetId).toBe(set.id);
    const options = await control("PUT", "/_control/scale-sets/options", { maxBatch: 10 });
    expect(options.json).toMatchObject({ maxBatch: 10, assignment: "acquire" });
    expect((await control("PUT", "/_control/scale-sets/options", { batch: 10 })).status).toBe(422);
    s.sim.control.scaleSets.configure({ maxBatch: 50 });
  });
});
