/**
 * Identical jobs of one run share runners: GitHub gives each runner that comes up to the oldest queued job it fits.
 * When runners come up out of launch order, a job whose runner a sibling took waits for that sibling's own runner
 * instead of launching one more — so a burst costs one runner per job, not one per robbery.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { runnerName } from "../../src/core/reconcile.js";
import { sandbox, until } from "./helpers.js";

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
