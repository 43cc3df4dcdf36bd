/**
 * Identical jobs of one run share runners: GitHub gives each runner that comes up to the oldest queued job it fits.
 * When runners come up out of launch order, a job whose runner a sibling took waits for that sibling's own runner
 * instead of launching one more — so a burst costs one runner per job, not one per robbery.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { runnerName } from "../../src/core/reconcile.js";
import { startSandbox } from "../../src/sandbox/sandbox.js";
import { silentLogger } from "../../src/log/logger.js";
import { E2E_SPEED, sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

describe("runners taken by identical siblings", () => {
  it("cost no extra launch when the first runner is slow to start", async () => {
    const gh = s.bed.github.control;
    const store = s.tornade.built.store;
    // The first task launched (the oldest job's) waits five minutes for capacity; the others start as usual and
    // take the oldest queued jobs, so each later job's runner goes to an older sibling.
    s.bed.aws.control.slowProvisioning({ times: 1, extraMs: 5 * 60_000 });
    const jobs = await s.queueScenario({
      jobs: [{ name: "matrix", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 3 }],
    });
    await until("every job to complete", () => (jobs.every((j) => gh.getJob(j.jobId)?.status === "completed") ? true : undefined), 60_000);

    expect(jobs.map((j) => gh.getJob(j.jobId)?.conclusion)).toEqual(["success", "success", "success"]);
    // The scenario did happen: some job ran on a runner launched for another.
    const ranOn = jobs.map((j) => gh.getJob(j.jobId)?.runner_name);
    expect(ranOn.some((name, i) => name !== runnerName(jobs[i]!.jobId, 1))).toBe(true);
    // One launch per job, and no runner stopped for idling.
    const launches = (await Promise.all(jobs.map((j) => store.listLaunches(j.jobId)))).flat();
    expect(launches.map((l) => l.runnerName).sort()).toEqual(jobs.map((j) => runnerName(j.jobId, 1)).sort());
    expect(launches.filter((l) => l.outcome?.kind === "idle")).toEqual([]);
    expect(new Set(ranOn)).toEqual(new Set(launches.map((l) => l.runnerName)));
  });
});

describe("a runner that ended cleanly while its job stayed queued", () => {
  let bounded: Sandbox;
  beforeAll(async () => {
    // One attempt per job: the first runner that ends without taking its job would make tornade give up on it.
    bounded = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0, env: { TORNADE_MAX_LAUNCH_ATTEMPTS: "1" } });
  });
  afterAll(async () => {
    await bounded?.close();
  });

  it("is looked up on GitHub before giving up: a sibling's job on it does not count as an attempt", { timeout: 120_000 }, async () => {
    const gh = bounded.bed.github.control;
    const store = bounded.tornade.built.store;
    // The first runner is slow, so the second takes the older job; and tornade hears nothing of either job after
    // `queued` (dropped for good, nothing to redeliver): only GitHub's run listing can say whose job ran where.
    bounded.bed.aws.control.slowProvisioning({ times: 1, extraMs: 5 * 60_000 });
    gh.dropDeliveries((d) => d.action === "in_progress" || d.action === "completed", { record: false });
    const jobs = await bounded.queueScenario({
      jobs: [{ name: "matrix", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 60, count: 2 }],
    });
    await until("both jobs to complete", () => (jobs.every((j) => gh.getJob(j.jobId)?.status === "completed") ? true : undefined), 60_000);
    expect(jobs.map((j) => gh.getJob(j.jobId)?.conclusion)).toEqual(["success", "success"]);

    // The scenario happened: one job ran on the runner launched for the other.
    const [a, b] = jobs.map((j) => j.jobId) as [number, number];
    const robbed = gh.getJob(a)?.runner_name === runnerName(b, 1) ? b : gh.getJob(b)?.runner_name === runnerName(a, 1) ? a : undefined;
    expect(robbed, "one job's runner ran its sibling").toBeDefined();
    const sibling = robbed === a ? b : a;
    // tornade found it out and kept serving the robbed job instead of giving up after its one attempt.
    const launch = await until("the robbed job's first runner to be marked taken", async () => {
      const l = (await store.listLaunches(robbed!)).find((x) => x.attempt === 1);
      return l?.outcome?.kind === "taken" ? l : undefined;
    }, 30_000);
    expect(launch.outcome).toEqual({ kind: "taken", jobId: sibling, refused: null });
    for (const j of jobs) expect((await store.getJob(j.jobId))?.decision?.kind).toBe("launch");
  });
});
