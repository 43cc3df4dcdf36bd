/**
 * Runner groups by name and scale sets — get by name, get by id, create, update, delete — with labels, as client.go
 * calls them, every answer checked against the client's types.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { admin, connect, createScaleSet, startScaleSetSim, type CheckedScaleSetSim, type Connection, type ScaleSet } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;
let c: Connection;

beforeAll(async () => {
  s = await startScaleSetSim({ clock });
  c = await connect(s.sim);
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
});

const RSS = "_apis/runtime/runnerscalesets";

describe("runner groups", () => {
  it("are found by name, case-insensitively, with their size; an unknown name gives an empty list", async () => {
    const g = s.sim.control.addRunnerGroup("Fargate Pool");
    const found = await admin(c, "GET", `_apis/runtime/runnergroups/?groupName=${encodeURIComponent("fargate pool")}`);
    expect(found.json).toEqual({ count: 1, value: [{ id: g.id, name: "Fargate Pool", size: 0, isDefaultGroup: false }] });
    const none = await admin(c, "GET", "_apis/runtime/runnergroups/?groupName=nope");
    expect(none.json).toEqual({ count: 0, value: [] });
  });
});

describe("scale sets", () => {
  it("are created with labels (typed System by default), found by name and id, with their JIT config URL", async () => {
    const created = await admin(c, "POST", RSS, { name: "linux-x64", runnerGroupId: 1, labels: [{ name: "linux-x64" }, { type: "System", name: "fargate" }], RunnerSetting: { disableUpdate: true } });
    expect(created.status).toBe(200);
    const set = created.json as ScaleSet & { runnerGroupName: string; runnerJitConfigUrl: string; RunnerSetting: object; createdOn: string };
    expect(set).toMatchObject({ name: "linux-x64", runnerGroupId: 1, runnerGroupName: "Default", RunnerSetting: { disableUpdate: true } });
    expect(set.labels).toEqual([
      { type: "System", name: "linux-x64" },
      { type: "System", name: "fargate" },
    ]);
    expect(set.runnerJitConfigUrl).toBe(`${c.serviceUrl}${RSS}/${set.id}/generatejitconfig`);
    expect(new Date(set.createdOn).getTime()).toBeLessThanOrEqual(clock.now());
    expect(set.statistics).toEqual({
      totalAvailableJobs: 0,
      totalAcquiredJobs: 0,
      totalAssignedJobs: 0,
      totalRunningJobs: 0,
      totalRegisteredRunners: 0,
      totalBusyRunners: 0,
      totalIdleRunners: 0,
    });

    const byName = await admin(c, "GET", `${RSS}?runnerGroupId=1&name=linux-x64`);
    expect(byName.json).toMatchObject({ count: 1, value: [{ id: set.id }] });
    const otherGroup = await admin(c, "GET", `${RSS}?runnerGroupId=999&name=linux-x64`);
    expect(otherGroup.json).toEqual({ count: 0, value: [] });
    const byId = await admin(c, "GET", `${RSS}/${set.id}`);
    expect(byId.json).toMatchObject({ id: set.id, name: "linux-x64" });
  });

  it("answer to their name alone when created without labels", async () => {
    const set = await createScaleSet(c, "bare");
    expect(set.labels).toEqual([{ type: "System", name: "bare" }]);
  });

  it("are unique by name within a runner group: a second create is a 409", async () => {
    await createScaleSet(c, "unique-one");
    const again = await admin(c, "POST", RSS, { name: "Unique-One", runnerGroupId: 1 });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ typeName: "RunnerScaleSetExistsException" });
  });

  it("refuse a body the client would not send, naming every problem", async () => {
    const missing = await admin(c, "POST", RSS, { labels: [{ name: "" }] });
    expect(missing.status).toBe(400);
    const message = (missing.json as { message: string }).message;
    expect(message).toContain("name is required");
    expect(message).toContain("runnerGroupId is required");
    expect(message).toContain("every label needs a name");
    const typo = await admin(c, "POST", RSS, { name: "x", runnerGroupId: 1, runnerSetting: {} });
    expect(typo.status).toBe(400);
    expect((typo.json as { message: string }).message).toContain("runnerSetting");
    const noGroup = await admin(c, "POST", RSS, { name: "x", runnerGroupId: 4242 });
    expect(noGroup.status).toBe(400);
  });

  it("are updated (name, labels, group) with PATCH, keeping their id", async () => {
    const set = await createScaleSet(c, "to-update", ["old-label"]);
    const g = s.sim.control.addRunnerGroup("moved-here");
    const patched = await admin(c, "PATCH", `${RSS}/${set.id}`, { id: set.id, name: "updated", runnerGroupId: g.id, labels: [{ type: "System", name: "new-label" }] });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: set.id, name: "updated", runnerGroupId: g.id, runnerGroupName: "moved-here", labels: [{ type: "System", name: "new-label" }] });
    const taken = await createScaleSet(c, "taken-name", [], "moved-here");
    const clash = await admin(c, "PATCH", `${RSS}/${set.id}`, { name: taken.name });
    expect(clash.status).toBe(409);
  });

  it("are deleted (204), after which they are gone (404)", async () => {
    const set = await createScaleSet(c, "short-lived");
    expect((await admin(c, "DELETE", `${RSS}/${set.id}`)).status).toBe(204);
    const gone = await admin(c, "GET", `${RSS}/${set.id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ typeName: "RunnerScaleSetNotFoundException" });
    expect((await admin(c, "DELETE", `${RSS}/${set.id}`)).status).toBe(404);
  });
});
