import { Octokit } from "@octokit/core";
import { createAppAuth } from "@octokit/auth-app";
import { RequestError } from "@octokit/request-error";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { runSimulatedRunner } from "../runner/runner.js";
import { startCheckedSim, startReceiver, until, type CheckedSim, type Receiver } from "./test-support.js";

// 600×: a 10-minute job takes one real second.
const clock = scaledClock(600);
let s: CheckedSim;
let rx: Receiver;
let gh: Octokit;
let runners: AbortController[] = [];

beforeAll(async () => {
  // A generous lost-runner window: at 600× a loaded machine can stall the event loop past 150 clock seconds.
  s = await startCheckedSim({ clock, runnerLostAfterMs: 600_000 });
  rx = await startReceiver(s.sim.webhookSecret);
  s.sim.control.setWebhookUrl(rx.url);
  gh = new Octokit({ baseUrl: s.sim.url, auth: s.sim.control.personalToken });
});
afterEach(() => {
  for (const r of runners) r.abort();
  runners = [];
  s.sim.control.clearFaults();
  rx.status = 200;
});
afterAll(async () => {
  expect(s.violations).toEqual([]);
  expect(rx.received.flatMap((r) => r.schemaErrors)).toEqual([]);
  await s.sim.close();
  await rx.close();
});

async function jitRunner(name: string, labels: string[]) {
  const r = await gh.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
    owner: s.sim.owner,
    repo: s.sim.repo,
    name,
    runner_group_id: 1,
    labels,
  });
  const stop = new AbortController();
  runners.push(stop);
  const done = runSimulatedRunner(r.data.encoded_jit_config, { clock, signal: stop.signal });
  return { id: r.data.runner.id, done };
}

const jobState = (id: number | bigint) => s.sim.control.getJob(Number(id));
const forJob = (id: number | bigint) => rx.received.filter((r) => (r.payload["workflow_job"] as { id?: number } | undefined)?.id === Number(id));

describe("webhooks", () => {
  it("sends ping then signed workflow_job deliveries with GitHub's headers", async () => {
    const run = s.sim.control.createRun({ jobs: [{ name: "build", labels: ["self-hosted", "nobody-has-this"], durationSeconds: 60 }] });
    const job = run.jobs[0];
    if (!job) throw new Error("no job");
    await s.sim.control.deliveriesIdle();
    expect(rx.received[0]?.event).toBe("ping");
    const queued = forJob(job.id);
    expect(queued.map((r) => r.payload["action"])).toEqual(["queued"]);
    const d = queued[0];
    expect(d?.signatureOk).toBe(true);
    expect(d?.guid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d?.headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
    expect(d?.headers["x-hub-signature"]).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(d?.headers["x-github-hook-installation-target-type"]).toBe("integration");
    expect((d?.payload["installation"] as { id: number }).id).toBe(s.sim.installationId);
    s.sim.control.cancelRun(Number(run.id));
    await s.sim.control.deliveriesIdle();
    expect(forJob(job.id).map((r) => r.payload["action"])).toEqual(["queued", "completed"]);
    expect(jobState(job.id)?.conclusion).toBe("cancelled");
  });

  it("sends waiting before queued for a job with an environment", async () => {
    const run = s.sim.control.createRun({ jobs: [{ name: "deploy", labels: ["nobody-has-this"], durationSeconds: 1, environment: "prod" }] });
    await s.sim.control.deliveriesIdle();
    expect(forJob(run.jobs[0]?.id ?? 0).map((r) => r.payload["action"])).toEqual(["waiting", "queued"]);
    s.sim.control.cancelRun(Number(run.id));
  });

  it("records failed deliveries, lists them with cursor pagination, and redelivers with the same GUID", async () => {
    rx.status = 500;
    const run = s.sim.control.createRun({ jobs: [1, 2, 3].map((i) => ({ name: `j${i}`, labels: ["nobody-has-this"], durationSeconds: 1 })) });
    await s.sim.control.deliveriesIdle();
    rx.status = 200;
    const app = new Octokit({ baseUrl: s.sim.url, authStrategy: createAppAuth, auth: { appId: s.sim.appId, privateKey: s.sim.privateKeyPem } });
    const seen: number[] = [];
    let url: string | undefined = "/app/hook/deliveries?per_page=2";
    while (url) {
      const page: { data: unknown; headers: { link?: string } } = await app.request(`GET ${url}`);
      const items = page.data as { id: number; status_code: number; guid: string }[];
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((i) => i.id));
      url = /<([^>]+)>; rel="next"/.exec(page.headers.link ?? "")?.[1]?.replace(s.sim.url, "");
      expect(url === undefined || url.includes("cursor=")).toBe(true);
    }
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(s.sim.control.listDeliveries().length);
    const ids = run.jobs.map((j) => Number(j.id));
    const failed = s.sim.control.listDeliveries().filter((d) => d.statusCode === 500 && ids.includes(d.jobId ?? 0));
    expect(failed.length).toBe(3);
    const first = failed[0];
    if (!first) throw new Error("no failed delivery");
    const r = await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: first.id });
    expect(r.status).toBe(202);
    await s.sim.control.deliveriesIdle();
    const again = rx.received.filter((x) => x.guid === first.guid);
    expect(again).toHaveLength(2);
    const redelivered = s.sim.control.listDeliveries().filter((d) => d.guid === first.guid && d.redelivery);
    expect(redelivered.map((d) => d.statusCode)).toEqual([200]);
    const detail = await app.request("GET /app/hook/deliveries/{delivery_id}", { delivery_id: first.id });
    expect(detail.data.guid).toBe(first.guid);
    s.sim.control.cancelRun(Number(run.id));
  });

  it("drops, duplicates and reorders deliveries on demand", async () => {
    s.sim.control.dropDeliveries({ action: "queued", jobName: "dropped" });
    s.sim.control.duplicateDeliveries({ jobName: "twice" });
    const run = s.sim.control.createRun({
      jobs: [
        { name: "dropped", labels: ["nobody-has-this"], durationSeconds: 1 },
        { name: "twice", labels: ["nobody-has-this"], durationSeconds: 1 },
      ],
    });
    await s.sim.control.deliveriesIdle();
    const [dropped, twice] = run.jobs;
    expect(forJob(dropped?.id ?? 0)).toHaveLength(0);
    expect(s.sim.control.listDeliveries().find((d) => d.jobId === dropped?.id)?.status).toBe("failed to connect to host");
    const dup = forJob(twice?.id ?? 0);
    expect(dup).toHaveLength(2);
    expect(dup[0]?.guid).toBe(dup[1]?.guid);
    s.sim.control.cancelRun(Number(run.id));
    await s.sim.control.deliveriesIdle();

    s.sim.control.reorderDeliveries(3);
    const r2 = s.sim.control.createRun({ jobs: [1, 2, 3].map((i) => ({ name: `o${i}`, labels: ["nobody-has-this"], durationSeconds: 1 })) });
    await s.sim.control.deliveriesIdle();
    const order = rx.received.slice(-3).map((r) => (r.payload["workflow_job"] as { name: string }).name);
    expect(order).toEqual(["o3", "o2", "o1"]);
    s.sim.control.cancelRun(r2.id);
  });
});

describe("scheduling", () => {
  it("runs a job on a JIT runner whose labels contain the job's (case-insensitively), then removes the runner", async () => {
    const run = s.sim.control.createRun({ jobs: [{ name: "unit", labels: ["Self-Hosted", "TORNADE"], durationSeconds: 120 }] });
    const job = run.jobs[0];
    if (!job) throw new Error("no job");
    const wrong = await jitRunner("wrong-labels", ["self-hosted"]);
    const right = await jitRunner("right-labels", ["self-hosted", "tornade", "extra"]);
    const outcome = await right.done;
    expect(outcome).toMatchObject({ exitCode: 0, jobId: job.id, conclusion: "success" });
    expect(jobState(job.id)).toMatchObject({ status: "completed", conclusion: "success", runner_id: right.id, runner_name: "right-labels" });
    expect(s.sim.control.listRunners().map((r) => r.id)).not.toContain(right.id);
    expect(s.sim.control.listRunners().find((r) => r.id === wrong.id)?.busy).toBe(false);
    await s.sim.control.deliveriesIdle();
    expect(forJob(job.id).map((r) => r.payload["action"])).toEqual(["queued", "in_progress", "completed"]);
    const inProgress = forJob(job.id)[1]?.payload["workflow_job"] as { runner_name: string; runner_group_name: string };
    expect(inProgress.runner_name).toBe("right-labels");
    expect(inProgress.runner_group_name).toBe("Default");
    const run2 = await gh.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { owner: s.sim.owner, repo: s.sim.repo, run_id: run.id });
    expect(run2.data.status).toBe("completed");
  });

  it("serves the oldest queued job first and gives a JIT runner exactly one job", async () => {
    const labels = ["self-hosted", "fifo"];
    const run = s.sim.control.createRun({ jobs: ["first", "second"].map((name) => ({ name, labels, durationSeconds: 30 })) });
    const [first, second] = run.jobs;
    const a = await jitRunner("fifo-a", labels);
    expect((await a.done).jobId).toBe(first?.id);
    expect(jobState(second?.id ?? 0)?.status).toBe("queued");
    const b = await jitRunner("fifo-b", labels);
    expect((await b.done).jobId).toBe(second?.id);
    const queued = await gh.request("GET /repos/{owner}/{repo}/actions/runs", { owner: s.sim.owner, repo: s.sim.repo, status: "queued" });
    expect(queued.data.workflow_runs.map((r) => r.id)).not.toContain(run.id);
  });

  it("refuses a re-run while the run is in progress (403) and queues a new attempt after (201)", async () => {
    const labels = ["self-hosted", "rerun"];
    const run = s.sim.control.createRun({ jobs: [{ name: "flaky", labels, durationSeconds: 600, conclusion: "failure" }] });
    const job = run.jobs[0];
    if (!job) throw new Error("no job");
    const args = { owner: s.sim.owner, repo: s.sim.repo, job_id: Number(job.id) };
    const r1 = await jitRunner("rerun-1", labels);
    await until(() => jobState(job.id)?.status === "in_progress", "the job to start");
    const refused = await gh.request("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", args).catch((e: unknown) => e);
    expect(refused instanceof RequestError && refused.status).toBe(403);
    expect((await r1.done).conclusion).toBe("failure");
    const ok = await gh.request("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", args);
    expect(ok.status).toBe(201);
    const latest = await gh.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", { owner: s.sim.owner, repo: s.sim.repo, run_id: run.id });
    const all = await gh.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", { owner: s.sim.owner, repo: s.sim.repo, run_id: run.id, filter: "all" });
    expect(latest.data.jobs).toHaveLength(1);
    expect(all.data.jobs).toHaveLength(2);
    const attempt2 = latest.data.jobs[0];
    expect(attempt2?.id).not.toBe(job.id);
    expect(attempt2).toMatchObject({ status: "queued", run_attempt: 2, name: "flaky" });
    await s.sim.control.deliveriesIdle();
    expect(forJob(attempt2?.id ?? 0).map((r) => r.payload["action"])).toEqual(["queued"]);
    s.sim.control.cancelRun(Number(run.id));
  });
});
