import { describe, expect, it } from "vitest";
import {
  defaultRedeliveryPolicy as policy,
  emptyScan,
  nextWatermark,
  planRedelivery,
  retryWait,
  scanPage,
  type DeliveryScan,
  type FailedDelivery,
  type LoggedDelivery,
} from "./redelivery.js";

const now = 100_000_000;
const MIN = 60_000;

const logged = (id: number, over: Partial<LoggedDelivery> = {}): LoggedDelivery => ({
  id,
  guid: `g${id}`,
  deliveredAt: now - 1000,
  statusCode: 502,
  event: "workflow_job",
  action: "queued",
  ...over,
});
const scanOf = (...page: LoggedDelivery[]): DeliveryScan => scanPage(emptyScan(), page, { watermark: 0, horizon: 0, last: true });
const followed = (guid: string, over: Partial<FailedDelivery> = {}): FailedDelivery => ({
  guid,
  deliveryId: 10,
  action: "queued",
  foundAt: now - 10 * MIN,
  attempts: 0,
  triedAt: null,
  ...over,
});

describe("scanning the delivery log", () => {
  it("sums up every attempt of a GUID: succeeded if any did, under its latest attempt's id", () => {
    const scan = scanOf(logged(9, { guid: "a", statusCode: 202 }), logged(7, { guid: "a" }), logged(5, { guid: "b", action: "completed" }));
    expect(scan.byGuid.get("a")).toEqual({ ok: true, latestId: 9, event: "workflow_job", action: "queued" });
    expect(scan.byGuid.get("b")).toEqual({ ok: false, latestId: 5, event: "workflow_job", action: "completed" });
    expect(scan.newest).toBe(9);
  });

  it("stops at the watermark or the lookback horizon, and only a complete scan moves the watermark", () => {
    const bounds = { watermark: 5, horizon: now - 2 * 3600_000, last: false };
    const partial = scanPage(emptyScan(), [logged(9), logged(8)], bounds);
    expect(partial.complete).toBe(false);
    expect(nextWatermark(partial, 5)).toBe(5);
    const reached = scanPage(partial, [logged(7), logged(5), logged(4)], bounds);
    expect(reached.complete).toBe(true);
    expect([...reached.byGuid.keys()]).toEqual(["g9", "g8", "g7"]);
    expect(nextWatermark(reached, 5)).toBe(9);
    const old = scanPage(emptyScan(), [logged(20, { deliveredAt: now - 3 * 3600_000 })], { ...bounds, watermark: 0 });
    expect(old.complete).toBe(true);
    expect(old.byGuid.size).toBe(0);
    expect(scanPage(emptyScan(), [], { ...bounds, last: true }).complete).toBe(true);
  });
});

describe("planRedelivery", () => {
  it("follows a new failure and redelivers it now", () => {
    const plan = planRedelivery(scanOf(logged(7)), [], now, policy);
    const found = { guid: "g7", deliveryId: 7, action: "queued", foundAt: now, attempts: 0, triedAt: null };
    expect(plan).toEqual({ follow: [found], forget: [], due: [found], deferred: 0, nextDueAt: null });
  });

  it("leaves alone what succeeded and what is not a workflow_job, and forgets a followed one that succeeded", () => {
    const scan = scanOf(logged(9, { guid: "ok", statusCode: 200 }), logged(8, { event: "ping", action: null }), logged(6, { guid: "done", statusCode: 202 }));
    const plan = planRedelivery(scan, [followed("done", { attempts: 1, triedAt: now - MIN })], now, policy);
    expect(plan).toEqual({ follow: [], forget: ["done"], due: [], deferred: 0, nextDueAt: null });
  });

  it("orders queued first, then the newest; takes at most perRound and leaves the rest followed for later rounds", () => {
    const scan = scanOf(logged(5, { action: "completed" }), logged(4), logged(3, { action: "in_progress" }), logged(2));
    const plan = planRedelivery(scan, [], now, { ...policy, perRound: 3 });
    expect(plan.due.map((d) => d.deliveryId)).toEqual([4, 2, 5]);
    expect(plan.deferred).toBe(1);
    expect(plan.follow).toHaveLength(4);
    // The next round: the scan no longer shows the one left (past the watermark), the store still does.
    const next = planRedelivery(emptyScan(), plan.follow.filter((f) => f.deliveryId === 3), now + MIN, { ...policy, perRound: 3 });
    expect(next.due.map((d) => d.deliveryId)).toEqual([3]);
  });

  it("asks again for a redelivery not seen to succeed, after a wait that doubles per attempt, for its newest attempt", () => {
    const asked = followed("a", { attempts: 1, triedAt: now - 5 * MIN + 1 });
    expect(planRedelivery(emptyScan(), [asked], now, policy)).toMatchObject({ due: [], nextDueAt: now + 1 });
    const due = planRedelivery(scanOf(logged(30, { guid: "a" })), [asked], now + 1, policy);
    expect(due.due).toEqual([{ ...asked, deliveryId: 30 }]);
    expect(due.follow).toEqual([]);
    const third = followed("a", { attempts: 2, triedAt: now - 5 * MIN });
    expect(planRedelivery(emptyScan(), [third], now, policy)).toMatchObject({ due: [], nextDueAt: now + 5 * MIN });
  });

  it("forgets a failure found longer ago than GitHub keeps deliveries redeliverable", () => {
    const old = followed("old", { foundAt: now - policy.retentionMs - 1 });
    expect(planRedelivery(emptyScan(), [old], now, policy)).toMatchObject({ forget: ["old"], due: [] });
  });

  it.each([
    [1, 5 * MIN],
    [2, 10 * MIN],
    [3, 20 * MIN],
    [5, 60 * MIN],
    [30, 60 * MIN],
  ])("waits before attempt %i + 1: %i ms", (attempts, wait) => {
    expect(retryWait(attempts, policy)).toBe(wait);
  });
});
