/**
 * Runner groups in the GitHub sim: the REST answers (checked against GitHub's OpenAPI description through the checked
 * sim) and the access rule the scheduler applies — an organization runner takes only jobs of repositories its group
 * admits.
 */
import { Octokit } from "@octokit/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { runSimulatedRunner } from "../runner/runner.js";
import { groupAdmits, newRunnerGroup } from "./runner-groups.js";
import { startCheckedSim, until, type CheckedSim } from "./test-support.js";

const clock = scaledClock(600);
let s: CheckedSim;
let gh: Octokit;
let runners: AbortController[] = [];

beforeAll(async () => {
  s = await startCheckedSim({ clock, runnerLostAfterMs: 600_000 });
  gh = new Octokit({ baseUrl: s.sim.url, auth: s.sim.control.personalToken });
});
afterEach(() => {
  for (const r of runners) r.abort();
  runners = [];
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  await s.sim.close();
});

describe("groupAdmits", () => {
  const priv = { name: "app", visibility: "private" as const };
  const pub = { name: "oss", visibility: "public" as const };
  it.each([
    ["all", {}, priv, true],
    ["all", {}, pub, false],
    ["all, public allowed", { allowsPublicRepositories: true }, pub, true],
    ["private", { visibility: "private" as const }, priv, true],
    ["private", { visibility: "private" as const, allowsPublicRepositories: true }, pub, false],
    ["selected (listed)", { visibility: "selected" as const, selectedRepositories: ["APP"] }, priv, true],
    ["selected (not listed)", { visibility: "selected" as const, selectedRepositories: ["api"] }, priv, false],
    ["selected public, not allowed", { visibility: "selected" as const, selectedRepositories: ["oss"] }, pub, false],
  ])("%s admits %j → %s", (_, access, repo, admitted) => {
    expect(groupAdmits(newRunnerGroup(9, "g", access), repo)).toBe(admitted);
  });
});

describe("runner group endpoints", () => {
  it("describe the Default group and a group restricted to selected repositories", async () => {
    const selected = s.sim.control.addRunnerGroup("tornade", { visibility: "selected", selectedRepositories: [s.sim.repo, "api"] });
    const org = s.sim.owner;
    const def = await gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org, runner_group_id: 1 });
    expect(def.data).toMatchObject({ id: 1, name: "Default", visibility: "all", default: true, allows_public_repositories: false });
    expect(def.data.selected_repositories_url).toBeUndefined();

    const mine = await gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org, runner_group_id: selected.id });
    expect(mine.data).toMatchObject({ id: selected.id, name: "tornade", visibility: "selected", default: false });
    expect(mine.data.selected_repositories_url).toBe(`${s.sim.url}/orgs/${org}/actions/runner-groups/${selected.id}/repositories`);

    const repos = await gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org, runner_group_id: selected.id });
    expect(repos.data.total_count).toBe(2);
    expect(repos.data.repositories.map((r) => r.full_name).sort()).toEqual([`${org}/api`, `${org}/${s.sim.repo}`].sort());

    const all = await gh.request("GET /orgs/{org}/actions/runner-groups", { org });
    expect(all.data.runner_groups.map((g) => g.id)).toEqual(expect.arrayContaining([1, selected.id]));
  });

  it("answer 404 for a group or an organization that does not exist", async () => {
    const missing = gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: s.sim.owner, runner_group_id: 999 });
    await expect(missing).rejects.toMatchObject({ status: 404 });
    const otherOrg = gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org: "someone-else", runner_group_id: 1 });
    await expect(otherOrg).rejects.toMatchObject({ status: 404 });
  });

  it("are created over the control HTTP API too", async () => {
    const res = await fetch(`${s.sim.url}/_control/runner-groups`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "private-only", visibility: "private" }),
    });
    expect(res.status).toBe(201);
    const g = (await res.json()) as { id: number; visibility: string };
    const got = await gh.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org: s.sim.owner, runner_group_id: g.id });
    expect(got.data.visibility).toBe("private");
  });
});

describe("job assignment", () => {
  it("gives an organization runner only the jobs of repositories its group admits", async () => {
    const group = s.sim.control.addRunnerGroup("only-app", { visibility: "selected", selectedRepositories: ["app-only"] });
    const label = "group-test";
    const { encodedJitConfig } = s.sim.control.createStaticRunner({ name: "org-runner", labels: ["self-hosted", label], groupId: group.id });
    const stop = new AbortController();
    runners.push(stop);
    void runSimulatedRunner(encodedJitConfig, { clock, signal: stop.signal });

    const outside = Number(s.sim.control.createRun({ repo: "not-listed", jobs: [{ name: "outside", labels: ["self-hosted", label], durationSeconds: 30 }] }).jobs[0]?.id);
    const inside = Number(s.sim.control.createRun({ repo: "app-only", jobs: [{ name: "inside", labels: ["self-hosted", label], durationSeconds: 30 }] }).jobs[0]?.id);
    await until(() => s.sim.control.getJob(inside)?.status === "completed", "the admitted job to complete");
    expect(s.sim.control.getJob(inside)).toMatchObject({ conclusion: "success", runner_name: "org-runner", runner_group_id: group.id });
    // The older job of the other repository was queued first and fits the labels, yet never reached the runner.
    expect(s.sim.control.getJob(outside)?.status).toBe("queued");
  });
});
