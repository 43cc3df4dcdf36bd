/**
 * The registration exchange as the scale set client makes it (client.go): App JWT → installation token → runner
 * registration token, all through the real Octokit on the sim's GHES-style root (/api/v3), then
 * `POST /api/v3/actions/runner-registration` with `RemoteAuth` → the Actions service URL and an admin token that opens
 * the service for that scope only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../../src/clock/clock.js";
import { admin, restClient, call, connect, createScaleSet, startScaleSetSim, type CheckedScaleSetSim } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedScaleSetSim;

beforeAll(async () => {
  s = await startScaleSetSim({ clock });
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
});

const decodeJwt = (t: string) => JSON.parse(Buffer.from(t.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp: number };

describe("POST /actions/runner-registration", () => {
  it("trades an organization registration token for the service URL and an admin token with an exp", async () => {
    expect(s.sim.configUrl).toBe(`${s.sim.url}/${s.sim.owner}`);
    // As the App: JWT → installation token → registration token, all under /api/v3.
    const c = await connect(s.sim, undefined, "app");
    expect(c.serviceUrl).toBe(`${s.sim.url}/_actions/`);
    // The client reads exp without verifying the token, to refresh it 60 s early: it must be a JWT, about an hour out.
    const exp = decodeJwt(c.adminToken).exp * 1000;
    expect(exp).toBeGreaterThan(clock.now() + 50 * 60_000);
    expect(exp).toBeLessThanOrEqual(clock.now() + 61 * 60_000);
    const groups = await admin(c, "GET", "_apis/runtime/runnergroups/?groupName=default");
    expect(groups.status).toBe(200);
    expect(groups.json).toMatchObject({ count: 1, value: [{ id: 1, name: "Default", isDefaultGroup: true }] });
  });

  it("is served at the root too (api.github.com's layout)", async () => {
    const reg = await restClient(s.sim).request("POST /orgs/{org}/actions/runners/registration-token", { org: s.sim.owner });
    const r = await call("POST", `${s.sim.url}/actions/runner-registration`, { auth: `RemoteAuth ${reg.data.token}`, body: { url: s.sim.configUrl, runner_event: "register" } });
    expect(r.status).toBe(201);
  });

  it("refuses a token it never issued, a bearer token, and a config URL of another scope", async () => {
    const body = { url: s.sim.configUrl, runner_event: "register" };
    const bogus = await call("POST", `${s.sim.url}/api/v3/actions/runner-registration`, { auth: "RemoteAuth AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body });
    expect(bogus.status).toBe(401);
    const reg = await restClient(s.sim).request("POST /orgs/{org}/actions/runners/registration-token", { org: s.sim.owner });
    const bearer = await call("POST", `${s.sim.url}/api/v3/actions/runner-registration`, { auth: `Bearer ${reg.data.token}`, body });
    expect(bearer.status).toBe(401);
    const repoUrl = s.sim.control.scaleSets.configUrl(s.sim.repo);
    const wrong = await call("POST", `${s.sim.url}/api/v3/actions/runner-registration`, { auth: `RemoteAuth ${reg.data.token}`, body: { url: repoUrl, runner_event: "register" } });
    expect(wrong.status).toBe(404);
    expect((wrong.json as { message: string }).message).toContain(s.sim.configUrl);
    const missing = await call("POST", `${s.sim.url}/api/v3/actions/runner-registration`, { auth: `RemoteAuth ${reg.data.token}`, body: { url: s.sim.configUrl } });
    expect(missing.status).toBe(422);
  });

  it("gives a repository token an admin token for that repository's scale sets only", async () => {
    const org = await connect(s.sim);
    const repo = await connect(s.sim, s.sim.repo);
    const orgSet = await createScaleSet(org, "org-wide");
    const repoSet = await createScaleSet(repo, "repo-only");
    expect((await admin(repo, "GET", `_apis/runtime/runnerscalesets/${orgSet.id}`)).status).toBe(404);
    expect((await admin(org, "GET", `_apis/runtime/runnerscalesets/${repoSet.id}`)).status).toBe(404);
    const listed = await admin(repo, "GET", "_apis/runtime/runnerscalesets");
    expect((listed.json as { value: { name: string }[] }).value.map((x) => x.name)).toEqual(["repo-only"]);
    // A repository has only the Default runner group.
    s.sim.control.addRunnerGroup("org-group");
    const groups = await admin(repo, "GET", "_apis/runtime/runnergroups/");
    expect((groups.json as { value: { name: string }[] }).value.map((g) => g.name)).toEqual(["Default"]);
  });
});

describe("the Actions service's front door", () => {
  it("answers 401 without a valid admin token and 400 without api-version", async () => {
    const c = await connect(s.sim);
    const noToken = await call("GET", `${c.serviceUrl}_apis/runtime/runnerscalesets?api-version=6.0-preview`);
    expect(noToken.status).toBe(401);
    const forged = await call("GET", `${c.serviceUrl}_apis/runtime/runnerscalesets?api-version=6.0-preview`, { auth: `Bearer ${c.adminToken.slice(0, -2)}xx` });
    expect(forged.status).toBe(401);
    const noVersion = await call("GET", `${c.serviceUrl}_apis/runtime/runnerscalesets`, { auth: `Bearer ${c.adminToken}` });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toMatchObject({ typeName: "VssVersionNotSpecifiedException" });
    const ok = await call("GET", `${c.serviceUrl}_apis/runtime/runnerscalesets`, { auth: `Bearer ${c.adminToken}`, headers: { accept: "application/json; api-version=6.0-preview" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("activityid")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an expired admin token, so the client must redo the exchange", async () => {
    const c = await connect(s.sim);
    // 20 minutes of clock time: two real seconds at 600×, ample for the call that must still succeed.
    s.sim.control.scaleSets.configure({ adminTokenTtlMs: 20 * 60_000 });
    try {
      const short = await connect(s.sim);
      expect((await admin(short, "GET", "_apis/runtime/runnergroups/")).status).toBe(200);
      await clock.sleep(20 * 60_000 + 1_000);
      expect((await admin(short, "GET", "_apis/runtime/runnergroups/")).status).toBe(401);
      expect((await admin(c, "GET", "_apis/runtime/runnergroups/")).status).toBe(200);
    } finally {
      s.sim.control.scaleSets.configure({ adminTokenTtlMs: 3_600_000 });
    }
  });

  it("counts its calls per route in the sim's stats", async () => {
    s.sim.control.resetStats();
    const c = await connect(s.sim);
    await admin(c, "GET", "_apis/runtime/runnergroups/?groupName=default");
    const stats = s.sim.control.stats();
    expect(stats.requests["POST /actions/runner-registration"]).toBe(1);
    expect(stats.requests["GET /_apis/runtime/runnergroups"]).toBe(1);
    expect(stats.responses["GET /_apis/runtime/runnergroups 200"]).toBe(1);
  });
});
