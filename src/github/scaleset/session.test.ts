/**
 * Message sessions over real HTTP against the test bed's scale set service: one session per scale set (409 for a
 * second), close releasing it, the queue token's expiry and refresh, a forgotten session created anew, redelivery
 * of an unacknowledged message, broker 5xx retried (and given up on), and a poll stopped at once by its AbortSignal —
 * held by the service, or waiting between retries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../clock/clock.js";
import { until } from "../../../testbed/until.js";
import { STEADY } from "../../../testbed/github/scaleset/test-support.js";
import { listenUntil, rejection, startClientWorld, type ClientWorld } from "../../../test/support/scale-set-client.js";
import type { ScaleSetClient } from "./client.js";

const clock = scaledClock(600);
const DAY = 24 * 3_600_000;
const MESSAGES = "/_apis/runtime/runnerscalesets/{scaleSetId}/messages";
const SESSION = "/_apis/runtime/runnerscalesets/{scaleSetId}/sessions";
let w: ClientWorld;
let client: ScaleSetClient;

const requests = (key: string) => w.s.sim.control.stats().requests[key] ?? 0;
const answers = (key: string) => w.s.sim.control.stats().responses[key] ?? 0;
const view = (id: number) => w.s.sim.control.scaleSets.list().find((s) => s.id === id);
const oneJob = (name: string, label: string) => w.s.sim.control.createRun({ jobs: [{ name, labels: [label], durationSeconds: 60 }] });

beforeAll(async () => {
  w = await startClientWorld(clock);
  client = w.client();
});
afterEach(() => {
  w.s.sim.control.clearFaults();
  w.s.sim.control.scaleSets.configure({ pollWaitMs: STEADY.pollWaitMs });
});
afterAll(() => w.close());

async function setNamed(name: string) {
  return (await client.ensureScaleSet({ name })).scaleSet;
}

describe("a message session", () => {
  it("is the scale set's only one: a second is a session-conflict naming the holder, until the first is closed", async () => {
    const set = await setNamed("one-session");
    const first = await client.openSession(set.id, "listener-a");
    expect(first.statistics).toMatchObject({ totalAssignedJobs: 0 });
    expect(view(set.id)?.session).toMatchObject({ id: first.id, ownerName: "listener-a", alive: true });

    const e = await rejection(w.client().openSession(set.id, "listener-b"));
    expect(e.kind).toBe("session-conflict");
    expect(e.status).toBe(409);
    expect(e.message).toMatch(/already has a live message session .*owned by listener-a/);

    await first.close();
    await first.close();
    expect(view(set.id)?.session).toBeNull();
    const second = await w.client().openSession(set.id, "listener-b");
    expect(view(set.id)?.session).toMatchObject({ id: second.id, ownerName: "listener-b" });
    await second.close();
    expect((await rejection(second.poll({ lastMessageId: 0, maxCapacity: 1 }))).message).toMatch(/closed; open a new one/);
  });

  it("tells the service the scale set's capacity with every poll, and refuses a capacity that is not a count", async () => {
    const set = await setNamed("capacity");
    const session = await client.openSession(set.id, "cap");
    expect(await session.poll({ lastMessageId: 0, maxCapacity: 3 })).toBeNull();
    expect(view(set.id)?.maxCapacity).toBe(3);
    expect((await rejection(session.poll({ lastMessageId: 0, maxCapacity: -1 }))).kind).toBe("invalid");
    await session.close();
  });

  it("hands an unacknowledged message again, to a poll from before it; once acknowledged it is gone", async () => {
    const set = await setNamed("redelivery");
    const session = await client.openSession(set.id, "redeliver");
    oneJob("again", "redelivery");
    const first = await until("a message", () => session.poll({ lastMessageId: 0, maxCapacity: 5 }).then((m) => m ?? undefined));
    expect(first.jobs.map((j) => [j.type, j.job.displayName])).toEqual([["JobAvailable", "again"]]);
    // Not acknowledged (a listener that crashed before storing it): a poll from 0 gets the same message.
    const again = await session.poll({ lastMessageId: 0, maxCapacity: 5 });
    expect(again?.messageId).toBe(first.messageId);
    expect(again?.jobs).toEqual(first.jobs);
    expect(view(set.id)?.queue.undeleted).toEqual([{ id: first.messageId, messageTypes: ["JobAvailable"], deliveries: 2 }]);
    await session.acknowledge(first.messageId);
    await session.acknowledge(first.messageId);
    expect(await session.poll({ lastMessageId: 0, maxCapacity: 5 })).toBeNull();
    expect((await rejection(session.acknowledge(first.messageId + 1000))).kind).toBe("not-found");
    await session.close();
  });

  it("refreshes its token when the service says it expired, and goes on", async () => {
    const set = await setNamed("token-expiry");
    const session = await client.openSession(set.id, "refresher");
    const id = session.id;
    const refreshes = requests(`PATCH ${SESSION}/{sessionId}`);
    expect(w.s.sim.control.scaleSets.expireToken(set.id)).toBe(true);
    oneJob("after-expiry", "token-expiry");
    const cursor = { last: 0 };
    const seen = await listenUntil(session, cursor, (s) => s.length === 1);
    expect(seen[0]?.job.displayName).toBe("after-expiry");
    expect(requests(`PATCH ${SESSION}/{sessionId}`) - refreshes).toBe(1);
    expect(answers(`GET ${MESSAGES} 401`)).toBeGreaterThanOrEqual(1);
    expect(session.id).toBe(id);
    // Acquire works with the new token too.
    expect(await session.acquire([seen[0]?.job.runnerRequestId ?? 0])).toEqual([seen[0]?.job.runnerRequestId]);
    await session.close();
  });

  it("is created anew when the service forgot it, and the messages not acknowledged come again", async () => {
    const set = await setNamed("forgotten");
    const session = await client.openSession(set.id, "phoenix");
    const old = session.id;
    oneJob("kept", "forgotten");
    const m = await until("a message", () => session.poll({ lastMessageId: 0, maxCapacity: 5 }).then((x) => x ?? undefined));
    const creates = requests(`POST ${SESSION}`);
    expect(w.s.sim.control.scaleSets.endSession(set.id)).toBe(true);
    const again = await session.poll({ lastMessageId: 0, maxCapacity: 5 });
    expect(session.id).not.toBe(old);
    expect(requests(`POST ${SESSION}`) - creates).toBe(1);
    expect(answers(`PATCH ${SESSION}/{sessionId} 404`)).toBeGreaterThanOrEqual(1);
    expect(again?.messageId).toBe(m.messageId);
    expect(view(set.id)?.session).toMatchObject({ id: session.id, ownerName: "phoenix" });
    expect(w.logger.lines.some((l) => l.includes("message session was gone; opened a new one"))).toBe(true);
    await session.acknowledge(m.messageId);
    await session.close();
  });
});

describe("transient failures", () => {
  it("a broker 5xx is retried with backoff, and the poll delivers", async () => {
    const set = await setNamed("flaky");
    const session = await client.openSession(set.id, "flaky");
    oneJob("through-503s", "flaky");
    const failed = answers(`GET ${MESSAGES} 503`);
    w.s.sim.control.scaleSets.fail({ method: "GET", route: MESSAGES, status: 503, times: 2 });
    const m = await until("a message", () => session.poll({ lastMessageId: 0, maxCapacity: 5 }).then((x) => x ?? undefined));
    expect(m.jobs[0]?.job.displayName).toBe("through-503s");
    expect(answers(`GET ${MESSAGES} 503`) - failed).toBe(2);
    expect(w.logger.lines.filter((l) => l.includes("retrying") && l.includes('"status":503')).length).toBeGreaterThanOrEqual(2);
    await session.acknowledge(m.messageId);
    await session.close();
  });

  it("is given up on after the retries, as transient, saying how many tries", async () => {
    w.s.sim.control.scaleSets.fail({ route: "/_apis/runtime/runnergroups", status: 500, times: 50 });
    const e = await rejection(client.runnerGroupByName("default"));
    expect(e.kind).toBe("transient");
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/get runner group by name answered 500: ServiceUnavailableException.*\(gave up after 5 tries\)/);
    expect(e.details.activityId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("cancelling", () => {
  it("ends a poll the service is holding at once", async () => {
    const set = await setNamed("held");
    const session = await client.openSession(set.id, "holder");
    // The service would hold this poll a day of clock time: minutes of real time even at 600×.
    w.s.sim.control.scaleSets.configure({ pollWaitMs: DAY });
    const polls = requests(`GET ${MESSAGES}`);
    const stop = new AbortController();
    const held = session.poll({ lastMessageId: 0, maxCapacity: 1, signal: stop.signal });
    await until("the poll to reach the service", () => requests(`GET ${MESSAGES}`) > polls);
    stop.abort();
    const e = await rejection(held);
    expect(e.kind).toBe("aborted");
    // The session is fine afterwards.
    w.s.sim.control.scaleSets.configure({ pollWaitMs: STEADY.pollWaitMs });
    expect(await session.poll({ lastMessageId: 0, maxCapacity: 1 })).toBeNull();
    await session.close();
  });

  it("ends a poll waiting between retries at once, and sends nothing for a signal already aborted", async () => {
    const set = await setNamed("backing-off");
    const session = await client.openSession(set.id, "backoff");
    w.s.sim.control.scaleSets.fail({ method: "GET", route: MESSAGES, status: 502, times: 1_000 });
    const failed = answers(`GET ${MESSAGES} 502`);
    const slow = w.client({ over: { retry: { retries: 10, baseMs: DAY, maxMs: DAY } } });
    const slowSession = await slow.openSession((await setNamed("backing-off-2")).id, "backoff-2");
    const stop = new AbortController();
    const waiting = slowSession.poll({ lastMessageId: 0, maxCapacity: 1, signal: stop.signal });
    await until("the first 502", () => answers(`GET ${MESSAGES} 502`) > failed);
    stop.abort();
    expect((await rejection(waiting)).kind).toBe("aborted");
    const sent = requests(`GET ${MESSAGES}`);
    expect((await rejection(session.poll({ lastMessageId: 0, maxCapacity: 1, signal: AbortSignal.abort() }))).kind).toBe("aborted");
    expect(requests(`GET ${MESSAGES}`)).toBe(sent);
    w.s.sim.control.clearFaults();
    await session.close();
    await slowSession.close();
  });
});

describe("secrets", () => {
  it("no token of this file reached a log line", () => {
    expect(w.leaks(w.logger.lines.join("\n"))).toEqual([]);
  });
});
