/**
 * After a burst drains nothing of tornade's is left: a spare runner whose job ran elsewhere is deregistered and its
 * task stopped once idle past the timeout, and a registration whose launch never happened is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

/** Once the job's own runner is launched, a second one for it, as a duplicated launch would leave: one idles. */
async function launchSpare(jobId: number): Promise<void> {
  const store = s.tornade.built.store;
  await until("the first runner", async () => ((await store.listLaunches(jobId)).length === 1 ? true : undefined));
  const record = (await store.getJob(jobId))!;
  const decision = record.decision;
  if (decision?.kind !== "launch") throw new Error("expected a launch decision");
  const { launcher } = s.tornade.built.controller;
  expect((await launcher.start(launcher.forJob(record, 2, decision.spec))).kind).toBe("launched");
}

/**
 * Queues a job whose every webhook after `queued` is lost without a trace: no redelivery can bring them back, so
 * tornade's record would say "queued" forever.
 */
async function queueLosingLaterWebhooks(name: string, durationSeconds: number): Promise<number> {
  s.bed.github.control.dropDeliveries((d) => d.jobName === name && d.action !== "queued", { record: false });
  const [job] = await s.queueScenario({
    jobs: [{ name, labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds, count: 1 }],
  });
  return job!.jobId;
}

describe("the reaper", () => {
  it("stops a spare runner whose job ran on another, and leaves no registration behind", async () => {
    const gh = s.bed.github.control;
    const store = s.tornade.built.store;
    const [job] = await s.queueScenario({
      jobs: [{ name: "spare", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 120, count: 1 }],
    });
    const id = job!.jobId;
    await launchSpare(id);

    await until("the job to complete", () => (gh.getJob(id)?.status === "completed" ? true : undefined));
    const launches = await until("one launch to be stopped as idle", async () => {
      const ls = await store.listLaunches(id);
      return ls.some((l) => l.outcome?.kind === "idle") ? ls : undefined;
    }, 30_000);
    const idle = launches.find((l) => l.outcome?.kind === "idle")!;
    expect(idle.runnerName).not.toBe(gh.getJob(id)?.runner_name);
    await until("its task to stop", () => (s.bed.aws.control.listTasks().find((t) => t.taskArn === idle.providerId)?.lastStatus === "STOPPED" ? true : undefined));
    await until("no runner registered", () => (gh.listRunners().length === 0 ? true : undefined));
  });

  it("stops a spare runner even when every webhook after its job's `queued` was lost", async () => {
    const gh = s.bed.github.control;
    const store = s.tornade.built.store;
    const id = await queueLosingLaterWebhooks("stale", 60);
    await launchSpare(id);

    await until("the job to complete", () => (gh.getJob(id)?.status === "completed" ? true : undefined));
    // GitHub sent tornade nothing after `queued`, and keeps no record it could redeliver.
    expect(gh.listDeliveries().filter((d) => d.jobId === id).map((d) => d.action)).toEqual(["queued"]);
    // The reaper asks GitHub about the job its idle runner was launched for, then stops that runner.
    await until("the record to catch up with GitHub", async () => ((await store.getJob(id))?.status === "completed" ? true : undefined), 30_000);
    const launches = await until("one launch to be stopped as idle", async () => {
      const ls = await store.listLaunches(id);
      return ls.some((l) => l.outcome?.kind === "idle") ? ls : undefined;
    }, 30_000);
    expect(launches.find((l) => l.outcome?.kind === "idle")?.runnerName).not.toBe(gh.getJob(id)?.runner_name);
    await until("no runner registered", () => (gh.listRunners().length === 0 ? true : undefined));
    gh.clearFaults();
  });

  it("releases the runner of a job GitHub no longer knows, settling the job once: it is not asked about again", async () => {
    const gh = s.bed.github.control;
    const store = s.tornade.built.store;
    const id = await queueLosingLaterWebhooks("unknown", 600);
    // Its own runner takes it; a spare launched after that comes up idle while tornade still believes the job queued.
    await until("the job to start", () => (gh.getJob(id)?.status === "in_progress" ? true : undefined));
    await launchSpare(id);
    // From now on GitHub answers 404 about the job, as it does for a job of a deleted repository.
    const JOB = "GET /repos/{owner}/{repo}/actions/jobs/{job_id}";
    gh.failEndpoint({ method: "GET", route: "/repos/{owner}/{repo}/actions/jobs/{job_id}", status: 404, times: 1000 });
    const notFound = () => gh.stats().responses[`${JOB} 404`] ?? 0;
    const before = notFound();
    try {
      await until("the spare to be stopped as idle", async () => ((await store.getLaunch(`${id}-2`))?.outcome?.kind === "idle" ? true : undefined), 30_000);
      const settled = await store.getJob(id);
      expect(settled?.decision).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/GitHub no longer knows this job/) });
      expect(notFound() - before).toBe(1);
      // Later rounds neither ask again nor count the job as found stale again.
      const reaper = s.tornade.built.controller.reaper;
      expect(await reaper.reap()).toMatchObject({ refreshed: 0 });
      expect(await reaper.reap()).toMatchObject({ refreshed: 0 });
      expect(notFound() - before).toBe(1);
    } finally {
      gh.clearFaults();
    }
  });

  it("removes a registration no launch stands behind (a launch interrupted after its JIT config)", async () => {
    const gh = s.bed.github;
    await s.tornade.built.github.generateJitConfig({
      installationId: gh.installationId,
      owner: gh.owner,
      repo: gh.repo,
      scope: "repo",
      runnerGroupId: 1,
      name: "tornade-999999-1",
      labels: ["self-hosted", "tornade"],
    });
    expect(gh.control.listRunners().map((r) => r.name)).toContain("tornade-999999-1");
    await until("the orphan registration to be removed", () => (gh.control.listRunners().some((r) => r.name === "tornade-999999-1") ? undefined : true));
  });
});
