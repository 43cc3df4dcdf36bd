/**
 * Message sessions (session_client.go, listener.go): one per scale set — a second is refused with 409
 * RunnerScaleSetSessionConflictException while the first lives; a message queue token that expires answers 401 and a
 * PATCH of the session gives a new one; a session the service forgot answers 404 to that PATCH, and a new one may be
 * created; DELETE ends it; an abandoned session is released after its idle timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { admin, closeChecked, createScaleSet, openSession, poll, startConnected, STEADY, type CheckedScaleSetSim, type Connection } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;
let c: Connection;

beforeAll(async () => ({ s, c } = await startConnected(clock)));
afterAll(() => closeChecked(s));

const sessions = (id: number) => `_apis/runtime/runnerscalesets/${id}/sessions`;

describe("message sessions", () => {
  it("open with the scale set, its statistics and a message queue URL and token", async () => {
    const set = await createScaleSet(c, "session-basics");
    const session = await openSession(c, set.id, "host-a");
    expect(session).toMatchObject({ ownerName: "host-a", runnerScaleSet: { id: set.id, name: "session-basics" }, statistics: { totalAssignedJobs: 0 } });
    expect(session.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.messageQueueUrl).toBe(`${c.serviceUrl}_apis/runtime/runnerscalesets/${set.id}/messages?sessionId=${session.sessionId}&api-version=6.0-preview`);
    expect((await poll(session)).status).toBe(202);
    expect(s.sim.control.scaleSets.list().find((x) => x.id === set.id)?.session).toMatchObject({ id: session.sessionId, ownerName: "host-a", alive: true });
  });

  it("are one per scale set: a second is a 409 RunnerScaleSetSessionConflictException naming the owner", async () => {
    const set = await createScaleSet(c, "session-conflict");
    const first = await openSession(c, set.id, "host-a");
    const second = await admin(c, "POST", sessions(set.id), { ownerName: "host-b" });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ typeName: "RunnerScaleSetSessionConflictException" });
    expect((second.json as { message: string }).message).toContain("host-a");
    // Another scale set is not concerned.
    const other = await createScaleSet(c, "session-conflict-other");
    await openSession(c, other.id, "host-b");
    // Deleting the first frees the scale set.
    expect((await admin(c, "DELETE", `${sessions(set.id)}/${first.sessionId}`)).status).toBe(204);
    expect((await poll(first)).status).toBe(401);
    const third = await openSession(c, set.id, "host-b");
    expect(third.sessionId).not.toBe(first.sessionId);
    expect((await admin(c, "DELETE", `${sessions(set.id)}/${first.sessionId}`)).status).toBe(404);
  });

  it("answer 401 once the token expires; a PATCH refresh gives a new token that works", async () => {
    const set = await createScaleSet(c, "session-refresh");
    const session = await openSession(c, set.id);
    expect(s.sim.control.scaleSets.expireToken(set.id)).toBe(true);
    const expired = await poll(session);
    expect(expired.status).toBe(401);
    const refreshed = await admin(c, "PATCH", `${sessions(set.id)}/${session.sessionId}`);
    expect(refreshed.status).toBe(200);
    const next = refreshed.json as typeof session;
    expect(next.sessionId).toBe(session.sessionId);
    expect(next.messageQueueAccessToken).not.toBe(session.messageQueueAccessToken);
    expect((await poll(next)).status).toBe(202);
    // The old token stays dead.
    expect((await poll(session)).status).toBe(401);
  });

  it("expire by themselves after queueTokenTtlMs", async () => {
    s.sim.control.scaleSets.configure({ queueTokenTtlMs: 30_000 });
    try {
      const set = await createScaleSet(c, "session-ttl");
      const session = await openSession(c, set.id);
      await clock.sleep(31_000);
      expect((await poll(session)).status).toBe(401);
    } finally {
      s.sim.control.scaleSets.configure({ queueTokenTtlMs: STEADY.queueTokenTtlMs });
    }
  });

  it("forgotten by the service answer 404 to the refresh; a new session may then be created", async () => {
    const set = await createScaleSet(c, "session-gone");
    const session = await openSession(c, set.id);
    expect(s.sim.control.scaleSets.endSession(set.id)).toBe(true);
    expect((await poll(session)).status).toBe(401);
    const refresh = await admin(c, "PATCH", `${sessions(set.id)}/${session.sessionId}`);
    expect(refresh.status).toBe(404);
    expect(refresh.json).toMatchObject({ typeName: "RunnerScaleSetSessionNotFoundException" });
    const again = await openSession(c, set.id);
    expect((await poll(again)).status).toBe(202);
  });

  it("end a poll being held when the token expires, so the client refreshes at once", async () => {
    const set = await createScaleSet(c, "session-held");
    const session = await openSession(c, set.id);
    s.sim.control.scaleSets.configure({ pollWaitMs: 600_000 });
    try {
      const held = poll(session);
      await clock.sleep(1_000);
      s.sim.control.scaleSets.expireToken(set.id);
      expect((await held).status).toBe(401);
    } finally {
      s.sim.control.scaleSets.configure({ pollWaitMs: STEADY.pollWaitMs });
    }
  });

  it("left without polls are released after sessionIdleTimeoutMs, and another listener takes over", async () => {
    const set = await createScaleSet(c, "session-abandoned");
    const first = await openSession(c, set.id, "crashed-host");
    expect((await admin(c, "POST", sessions(set.id), { ownerName: "standby" })).status).toBe(409);
    s.sim.control.scaleSets.configure({ sessionIdleTimeoutMs: 2 * 60_000 });
    try {
      await clock.sleep(2 * 60_000 + 1_000);
      const takeover = await openSession(c, set.id, "standby");
      expect(takeover.ownerName).toBe("standby");
      expect((await poll(first)).status).toBe(401);
      expect((await admin(c, "PATCH", `${sessions(set.id)}/${first.sessionId}`)).status).toBe(404);
    } finally {
      s.sim.control.scaleSets.configure({ sessionIdleTimeoutMs: STEADY.sessionIdleTimeoutMs });
    }
  });

  it("need an owner name, and a scale set that exists", async () => {
    const set = await createScaleSet(c, "session-input");
    expect((await admin(c, "POST", sessions(set.id), {})).status).toBe(400);
    expect((await admin(c, "POST", sessions(99_999), { ownerName: "x" })).status).toBe(404);
  });
});
