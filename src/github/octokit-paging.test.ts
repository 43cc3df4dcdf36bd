import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { startGitHubSim } from "../../testbed/github/index.js";
import { createGitHubClients } from "./auth.js";
import { OctokitGitHub } from "./octokit-github.js";

type Sim = Awaited<ReturnType<typeof startGitHubSim>>;

/** Listings longer than GitHub's largest page (100), followed through the `Link` header by Octokit's paginate. */
describe("OctokitGitHub paging against the GitHub simulator", () => {
  let sim: Sim;
  let gh: OctokitGitHub;
  const requests = (route: string) => sim.control.stats().requests[`GET ${route}`] ?? 0;
  beforeAll(async () => {
    const clock = scaledClock(100);
    sim = await startGitHubSim({ clock });
    const clients = createGitHubClients({ auth: { kind: "app", appId: sim.appId, privateKeyPem: sim.privateKeyPem }, baseUrl: sim.url, clock });
    gh = new OctokitGitHub(clients, { clock });
  });
  afterAll(() => sim.close());

  it("lists every runner of a repository, one request a page", async () => {
    for (let i = 0; i < 230; i++) sim.control.createStaticRunner({ name: `page-${i}`, labels: ["paging"], repo: sim.repo });
    const route = "/repos/{owner}/{repo}/actions/runners";
    const before = requests(route);
    const runners = await gh.listRunners({ installationId: sim.installationId, owner: sim.owner, repo: sim.repo, scope: "repo" });
    const expected = sim.control.listRunners().filter((r) => r.repo === sim.repo);
    expect(expected.length).toBeGreaterThanOrEqual(230);
    expect(runners.map((r) => r.id).sort((a, b) => a - b)).toEqual(expected.map((r) => r.id).sort((a, b) => a - b));
    expect(requests(route) - before).toBe(Math.ceil(expected.length / 100));
  });

  it("lists every job of a run's latest attempt", async () => {
    const run = sim.control.createRun({ jobs: Array.from({ length: 150 }, (_, i) => ({ name: `job-${i}`, labels: ["self-hosted", "paging-job"], durationSeconds: 60 })) });
    const jobs = await gh.listRunJobs({ installationId: sim.installationId, owner: sim.owner, repo: sim.repo }, run.id);
    expect(jobs.map((j) => j.id)).toEqual(run.jobs.map((j) => Number(j.id)));
  });

  it("lists queued runs across pages, and no more than maxPages of them", async () => {
    for (let i = 0; i < 120; i++) sim.control.createRun({ jobs: [{ name: "queued", labels: ["self-hosted", "paging-run"], durationSeconds: 60 }] });
    const repo = { installationId: sim.installationId, owner: sim.owner, repo: sim.repo };
    const route = "/repos/{owner}/{repo}/actions/runs";
    const all = await gh.listQueuedRuns(repo);
    expect(all.length).toBeGreaterThanOrEqual(120);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    const before = requests(route);
    expect(await gh.listQueuedRuns(repo, { maxPages: 1 })).toHaveLength(100);
    expect(requests(route) - before).toBe(1);
  });
});
