/**
 * The scale set client's admin side over real HTTP against the test bed's scale set service: the registration
 * exchange (App and PAT, organization and repository), runner groups, scale sets created, found, updated and deleted,
 * JIT configs for a scale set's runners and runner removal. Every answer the service gave is checked against the
 * public client's types when the file ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../clock/clock.js";
import { createGitHubClients } from "../auth.js";
import { rejection, startClientWorld, type ClientWorld } from "../../../test/support/scale-set-client.js";

const clock = scaledClock(600);
let w: ClientWorld;
const REGISTRATION = "POST /actions/runner-registration";
const exchanges = () => w.s.sim.control.stats().requests[REGISTRATION] ?? 0;

beforeAll(async () => (w = await startClientWorld(clock)));
afterAll(() => w.close());

describe("the registration exchange", () => {
  it("as the App for the organization: one registration token and exchange serve many calls", async () => {
    const client = w.client();
    expect(client.configUrl).toBe(w.s.sim.control.scaleSets.configUrl());
    const before = exchanges();
    expect(await client.runnerGroupByName("default")).toEqual({ id: 1, name: "Default", isDefault: true });
    expect(await client.runnerGroupByName("Default")).toMatchObject({ id: 1 });
    expect(await client.scaleSetByName(1, "nothing-here")).toBeUndefined();
    expect(exchanges() - before).toBe(1);
    expect(client.connection.exchanges).toBe(1);
  });

  it("with a PAT for one repository, whose scale sets are its own", async () => {
    const repo = w.s.sim.repo;
    const client = w.client({ as: "pat", repo });
    expect(client.configUrl).toBe(w.s.sim.control.scaleSets.configUrl(repo));
    const { scaleSet } = await client.ensureScaleSet({ name: "repo-only" });
    expect(w.s.sim.control.scaleSets.list().find((s) => s.id === scaleSet.id)).toMatchObject({ repo, name: "repo-only" });
    // The organization's admin token sees the organization's scale sets, not the repository's.
    expect(await w.client().scaleSetByName(1, "repo-only")).toBeUndefined();
  });

  it("refuses a config URL that is not the registration token's scope, with GitHub's reason", async () => {
    const client = w.client({ over: { configUrl: `${w.s.sim.url}/someone-else` } });
    const e = await rejection(client.runnerGroupByName("default"));
    expect(e.kind).toBe("not-found");
    expect(e.message).toMatch(/runner registration exchange answered 404: .*registration token is for/);
  });

  it("says credentials GitHub refuses are unauthorized, and an App without the installation id is a configuration error", async () => {
    const badPat = createGitHubClients({ auth: { kind: "token", token: "ghp_not_a_token" }, baseUrl: w.s.sim.url, clock });
    const refused = await rejection(w.client({ over: { github: badPat } }).runnerGroupByName("default"));
    expect(refused.kind).toBe("unauthorized");
    expect(refused.message).toMatch(/create a runner registration token: Bad credentials/);
    const noInstallation = w.client({ over: { scope: { scope: "org", owner: w.s.sim.owner, repo: "" } } });
    const invalid = await rejection(noInstallation.runnerGroupByName("default"));
    expect(invalid.kind).toBe("invalid");
    expect(invalid.message).toMatch(/installation id/);
  });
});

describe("runner groups", () => {
  it("are found by name, case-insensitively; a name the scope lacks is not-found, naming the scope", async () => {
    const gpu = w.s.sim.control.addRunnerGroup("gpu-runners");
    expect(await w.client().runnerGroupByName("GPU-Runners")).toEqual({ id: gpu.id, name: "gpu-runners", isDefault: false });
    // A repository has only the Default group.
    const repoClient = w.client({ repo: w.s.sim.repo });
    const e = await rejection(repoClient.runnerGroupByName("gpu-runners"));
    expect(e.kind).toBe("not-found");
    expect(e.message).toContain(repoClient.configUrl);
  });
});

describe("scale sets", () => {
  it("are created with their labels, found by name, left alone when unchanged, and updated when the labels change", async () => {
    const client = w.client();
    const created = await client.ensureScaleSet({ name: "linux-x64", labels: ["FARGATE", "x64"] });
    expect(created.change).toBe("created");
    expect(created.scaleSet).toMatchObject({ name: "linux-x64", runnerGroupId: 1, runnerGroupName: "Default", labels: ["FARGATE", "x64"], disableUpdate: true });
    expect(created.scaleSet.statistics).toMatchObject({ totalAssignedJobs: 0 });

    const again = await client.ensureScaleSet({ name: "linux-x64", labels: ["x64", "fargate"] });
    expect(again).toMatchObject({ change: "unchanged", scaleSet: { id: created.scaleSet.id } });

    const changed = await client.ensureScaleSet({ name: "linux-x64", labels: ["FARGATE_SPOT"] });
    expect(changed).toMatchObject({ change: "updated", scaleSet: { id: created.scaleSet.id, labels: ["FARGATE_SPOT"] } });
    expect(w.s.sim.control.scaleSets.list().find((s) => s.id === created.scaleSet.id)?.labels).toEqual(["FARGATE_SPOT"]);
    expect(await client.scaleSet(created.scaleSet.id)).toMatchObject({ name: "linux-x64", labels: ["FARGATE_SPOT"] });
  });

  it("go in the runner group named", async () => {
    w.s.sim.control.addRunnerGroup("arm-group");
    const { scaleSet } = await w.client().ensureScaleSet({ name: "arm-set", runnerGroup: "arm-group", labels: ["arm64"] });
    expect(scaleSet.runnerGroupName).toBe("arm-group");
  });

  it("end as one when two create-or-updates race, and a create of a taken name is a conflict", async () => {
    const [a, b] = [w.client(), w.client()];
    const spec = { name: "raced", labels: ["x"] };
    const results = await Promise.all([a.ensureScaleSet(spec), b.ensureScaleSet(spec)]);
    expect(results.map((r) => r.change).sort()).toEqual(["created", "unchanged"]);
    expect(results[0]?.scaleSet.id).toBe(results[1]?.scaleSet.id);
    expect(w.s.sim.control.scaleSets.list().filter((s) => s.name === "raced")).toHaveLength(1);
    const e = await rejection(a.createScaleSet({ name: "raced", runnerGroupId: 1 }));
    expect(e.kind).toBe("conflict");
    expect(e.details.typeName).toBe("RunnerScaleSetExistsException");
  });

  it("are deleted; one gone reads as not-found, and deleting it again is no error", async () => {
    const client = w.client();
    const { scaleSet } = await client.ensureScaleSet({ name: "short-lived" });
    await client.deleteScaleSet(scaleSet.id);
    expect((await rejection(client.scaleSet(scaleSet.id))).kind).toBe("not-found");
    await client.deleteScaleSet(scaleSet.id);
    expect(await client.scaleSetByName(1, "short-lived")).toBeUndefined();
  });
});

describe("runners of a scale set", () => {
  it("get a JIT config with the scale set's labels; a taken name is a conflict; removal is idempotent", async () => {
    const client = w.client();
    const { scaleSet } = await client.ensureScaleSet({ name: "jit-set", labels: ["jit-label"] });
    const jit = await client.generateJitConfig(scaleSet.id, "jit-runner-1");
    expect(jit.runnerName).toBe("jit-runner-1");
    expect(jit.encodedJitConfig.length).toBeGreaterThan(0);
    expect(await client.runner(jit.runnerId)).toEqual({ id: jit.runnerId, name: "jit-runner-1", scaleSetId: scaleSet.id });
    expect(await client.runnerByName("JIT-runner-1")).toEqual({ id: jit.runnerId, name: "jit-runner-1", scaleSetId: scaleSet.id });
    expect(w.s.sim.control.listRunners().find((r) => r.id === jit.runnerId)?.labels.map((l) => l.name)).toEqual(["jit-label"]);

    const taken = await rejection(client.generateJitConfig(scaleSet.id, "jit-runner-1"));
    expect(taken.kind).toBe("conflict");
    expect(taken.details.typeName).toBe("AgentExistsException");

    await client.removeRunner(jit.runnerId);
    expect(await client.runner(jit.runnerId)).toBeUndefined();
    expect(await client.runnerByName("jit-runner-1")).toBeUndefined();
    await client.removeRunner(jit.runnerId);
  });
});

describe("secrets", () => {
  it("no token, key or JIT config of this file reached a log line", () => {
    expect(w.secrets.size).toBeGreaterThan(4);
    expect(w.logger.lines.length).toBeGreaterThan(0);
    expect(w.leaks(w.logger.lines.join("\n"))).toEqual([]);
  });
});
