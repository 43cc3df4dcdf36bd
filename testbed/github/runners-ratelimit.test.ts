import { Octokit } from "@octokit/core";
import { RequestError } from "@octokit/request-error";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJitConfig } from "./index.js";
import { startCheckedSim, type CheckedSim } from "./test-support.js";

let s: CheckedSim;
let gh: Octokit;
beforeAll(async () => {
  s = await startCheckedSim();
  gh = new Octokit({ baseUrl: s.sim.url, auth: s.sim.control.personalToken });
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
});

async function failure(p: Promise<unknown>): Promise<RequestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RequestError) return e;
    throw e;
  }
  throw new Error("expected the request to fail");
}

const JIT = "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig" as const;

describe("runners", () => {
  it("generates a JIT config (201) whose config names the sim, the runner and a secret", async () => {
    const { sim } = s;
    const r = await gh.request(JIT, { owner: sim.owner, repo: sim.repo, name: "job-1-a1", runner_group_id: 1, labels: ["self-hosted", "tornade", "run-9"] });
    expect(r.status).toBe(201);
    expect(r.data.runner.labels.map((l) => l.name)).toEqual(["self-hosted", "tornade", "run-9"]);
    const cfg = decodeJitConfig(r.data.encoded_jit_config);
    expect(cfg.runner.agentId).toBe(r.data.runner.id);
    expect(cfg.runner.agentName).toBe("job-1-a1");
    expect(cfg.runner.serverUrl.startsWith(sim.url)).toBe(true);
    expect(cfg.credentials.data.clientSecret.length).toBeGreaterThan(20);
    const files = JSON.parse(Buffer.from(r.data.encoded_jit_config, "base64").toString()) as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual([".credentials", ".credentials_rsaparams", ".runner"]);
  });

  it("answers 409 for a duplicate name and 422 for a body GitHub's schema refuses", async () => {
    const { sim } = s;
    const base = { owner: sim.owner, repo: sim.repo };
    expect((await failure(gh.request(JIT, { ...base, name: "job-1-a1", runner_group_id: 1, labels: ["x"] }))).status).toBe(409);
    const bad: Record<string, unknown>[] = [
      { runner_group_id: 1, labels: ["x"] },
      { name: "n1", labels: ["x"] },
      { name: "n2", runner_group_id: 1 },
      { name: "n3", runner_group_id: 1, labels: [] },
      { name: "n4", runner_group_id: 1, labels: Array.from({ length: 101 }, (_, i) => `l${i}`) },
    ];
    for (const body of bad) {
      const e = await failure(gh.request(`POST /repos/${sim.owner}/${sim.repo}/actions/runners/generate-jitconfig`, body));
      expect(e.status, JSON.stringify(body).slice(0, 60)).toBe(422);
    }
    const ok = await gh.request(JIT, { ...base, name: "n5", runner_group_id: 1, labels: Array.from({ length: 100 }, (_, i) => `l${i}`) });
    expect(ok.status).toBe(201);
  });

  it("lists runners with per_page/page and total_count, gets and deletes one", async () => {
    const { sim } = s;
    const base = { owner: sim.owner, repo: sim.repo };
    for (let i = 0; i < 5; i++) await gh.request(JIT, { ...base, name: `page-${i}`, runner_group_id: 1, labels: ["x"] });
    const p1 = await gh.request("GET /repos/{owner}/{repo}/actions/runners", { ...base, per_page: 3, page: 1 });
    const total = p1.data.total_count;
    expect(total).toBeGreaterThanOrEqual(7);
    expect(p1.data.runners).toHaveLength(3);
    expect(p1.headers.link).toMatch(/rel="next"/);
    const last = await gh.request("GET /repos/{owner}/{repo}/actions/runners", { ...base, per_page: 3, page: Math.ceil(total / 3) });
    expect(last.data.runners.length).toBe(total - 3 * (Math.ceil(total / 3) - 1));
    const one = p1.data.runners[0];
    if (!one) throw new Error("no runner listed");
    const got = await gh.request("GET /repos/{owner}/{repo}/actions/runners/{runner_id}", { ...base, runner_id: one.id });
    expect(got.data.name).toBe(one.name);
    expect(got.data.status).toBe("offline");
    expect((await gh.request("DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}", { ...base, runner_id: one.id })).status).toBe(204);
    expect((await failure(gh.request("GET /repos/{owner}/{repo}/actions/runners/{runner_id}", { ...base, runner_id: one.id }))).status).toBe(404);
  });

  it("serves the organization forms and registration / remove tokens", async () => {
    const { sim } = s;
    const org = await gh.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: sim.owner, name: "org-runner", runner_group_id: 1, labels: ["a"] });
    expect(org.status).toBe(201);
    const list = await gh.request("GET /orgs/{org}/actions/runners", { org: sim.owner });
    expect(list.data.runners.map((r) => r.name)).toContain("org-runner");
    const reg = await gh.request("POST /repos/{owner}/{repo}/actions/runners/registration-token", { owner: sim.owner, repo: sim.repo });
    const rm = await gh.request("POST /orgs/{org}/actions/runners/remove-token", { org: sim.owner });
    expect(reg.data.token).toMatch(/^[A-Z0-9]{20,}$/);
    expect(Date.parse(rm.data.expires_at)).toBeGreaterThan(Date.now());
  });
});

describe("rate limits", () => {
  it("puts x-ratelimit-* on every answer and counts down the primary limit", async () => {
    const { sim } = s;
    const a = await gh.request("GET /repos/{owner}/{repo}/actions/runs", { owner: sim.owner, repo: sim.repo });
    const b = await gh.request("GET /repos/{owner}/{repo}/actions/runs", { owner: sim.owner, repo: sim.repo });
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used", "x-ratelimit-resource"]) {
      expect(a.headers[h as keyof typeof a.headers], h).toBeDefined();
    }
    expect(Number(b.headers["x-ratelimit-remaining"])).toBe(Number(a.headers["x-ratelimit-remaining"]) - 1);
    expect(Number(a.headers["x-ratelimit-reset"]) * 1000).toBeGreaterThan(Date.now());
  });

  it("answers 403 with x-ratelimit-remaining 0 once the primary limit is spent", async () => {
    const c = await startCheckedSim({ limits: { primaryPerHour: 3 } });
    const o = new Octokit({ baseUrl: c.sim.url, auth: c.sim.control.personalToken });
    const args = { owner: c.sim.owner, repo: c.sim.repo };
    for (let i = 0; i < 3; i++) await o.request("GET /repos/{owner}/{repo}/actions/runs", args);
    const e = await failure(o.request("GET /repos/{owner}/{repo}/actions/runs", args));
    expect(e.status).toBe(403);
    expect(e.response?.headers["x-ratelimit-remaining"]).toBe("0");
    expect(c.sim.control.stats().primaryLimited).toBe(1);
    expect(c.violations).toEqual([]);
    await c.sim.close();
  });

  it("applies the secondary limit per endpoint by points (POST = 5) with retry-after and GitHub's message", async () => {
    const c = await startCheckedSim({ limits: { pointsPerMinute: 20 } });
    const o = new Octokit({ baseUrl: c.sim.url, auth: c.sim.control.personalToken });
    const args = { owner: c.sim.owner, repo: c.sim.repo, runner_group_id: 1, labels: ["x"] };
    for (let i = 0; i < 4; i++) await o.request(JIT, { ...args, name: `r${i}` });
    const e = await failure(o.request(JIT, { ...args, name: "r4" }));
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/secondary rate limit/);
    expect(Number(e.response?.headers["retry-after"])).toBeGreaterThan(0);
    // Another endpoint still has its own points.
    expect((await o.request("GET /repos/{owner}/{repo}/actions/runners", { owner: c.sim.owner, repo: c.sim.repo })).status).toBe(200);
    await c.sim.close();
  });

  it("refuses requests beyond the concurrency cap", async () => {
    const c = await startCheckedSim({ limits: { maxConcurrent: 2 } });
    c.sim.control.slowEndpoint({ route: "/repos/{owner}/{repo}/actions/runs", ms: 300 });
    const o = new Octokit({ baseUrl: c.sim.url, auth: c.sim.control.personalToken });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => o.request("GET /repos/{owner}/{repo}/actions/runs", { owner: c.sim.owner, repo: c.sim.repo })),
    );
    const refused = results.filter((r) => r.status === "rejected" && r.reason instanceof RequestError && /secondary rate limit/.test(r.reason.message));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
    expect(refused).toHaveLength(3);
    await c.sim.close();
  });

  it("injects 5xx on a chosen endpoint a chosen number of times and counts requests per route", async () => {
    const { sim } = s;
    sim.control.resetStats();
    sim.control.failEndpoint({ method: "POST", route: "/repos/{owner}/{repo}/actions/runners/generate-jitconfig", status: 502, times: 2 });
    const args = { owner: sim.owner, repo: sim.repo, name: "after-5xx", runner_group_id: 1, labels: ["x"] };
    expect((await failure(gh.request(JIT, args))).status).toBe(502);
    expect((await failure(gh.request(JIT, args))).status).toBe(502);
    expect((await gh.request(JIT, args)).status).toBe(201);
    const stats = sim.control.stats();
    expect(stats.requests["POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig"]).toBe(3);
    expect(stats.responses["POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig 502"]).toBe(2);
  });
});
