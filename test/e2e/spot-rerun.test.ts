/**
 * A Spot interruption while a job runs: GitHub fails the job when its runner is killed; tornade recognises the
 * interruption from the task's stop code and re-runs the job once through GitHub's re-run API — after the run has
 * finished, since GitHub refuses while it is in progress — and the re-run's runner starts on on-demand FARGATE.
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

describe("Spot interruption mid-job", () => {
  it("re-runs the job once, on FARGATE", async () => {
    const gh = s.bed.github.control;
    const [job] = await s.queueScenario({
      jobs: [{ name: "interrupted", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"], durationSeconds: 600, count: 1 }],
    });
    const id = job!.jobId;
    await until("the job to start", () => (gh.getJob(id)?.status === "in_progress" ? true : undefined));
    const [launch] = await s.tornade.built.store.listLaunches(id);
    expect(launch?.backend).toBe("FARGATE_SPOT");
    expect(s.bed.aws.control.interruptSpot(launch!.providerId!)).toHaveLength(1);

    await until("the interrupted job to fail", () => (gh.getJob(id)?.status === "completed" ? true : undefined));
    expect(gh.getJob(id)?.conclusion).toBe("failure");

    // The re-run is a new job (next run attempt) of the same run and name.
    const rerun = await until(
      "the re-run to complete",
      () => gh.listJobs({ runId: Number(gh.getJob(id)!.run_id) }).find((j) => Number(j.id) !== id && j.name === "interrupted" && j.status === "completed"),
      30_000,
    );
    expect(rerun.conclusion).toBe("success");
    expect(rerun.run_attempt).toBe(2);
    const launches = await s.tornade.built.store.listLaunches(Number(rerun.id));
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({ backend: "FARGATE", arch: "X86_64" });
    expect((await s.tornade.built.store.listLaunches(id))[0]).toMatchObject({
      spotInterrupted: true,
      state: "stopped",
      error: null,
      outcome: { kind: "spot-interrupted", reason: expect.any(String) },
    });
    // Once: the interrupted job's record says it was re-run, and where to (its re-run target, on its own row: no meta
    // key), and GitHub saw one re-run request.
    const interrupted = await s.tornade.built.store.getJob(id);
    expect(interrupted?.decision).toMatchObject({ rerun: "requested" });
    expect(interrupted?.rerunBackend).toBe("FARGATE");
    expect(await s.tornade.built.store.getMeta(`rerun-backend:${interrupted?.runId}:interrupted`)).toBeUndefined();
    expect(gh.stats().requests["POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun"]).toBe(1);
  });

  it.each([
    ["never heard of", (d: { jobName: string | null; action: string | null }) => d.jobName === "ghost"],
    // Only its in_progress arrives: tornade knows it took seen's runner, but it has no launch of its own to wake it.
    ["heard of only running", (d: { jobName: string | null; action: string | null }) => d.jobName === "ghost" && d.action !== "in_progress"],
  ])("re-runs a job tornade %s, lost with the sibling's runner it had taken", async (_what, lost) => {
    const gh = s.bed.github.control;
    const labels = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"];
    // The webhooks of "ghost" chosen here are lost without a trace; it is older than "seen", so it takes seen's
    // runner first.
    gh.dropDeliveries(lost, { record: false });
    const [ghost, seen] = await s.queueScenario({
      jobs: [
        { name: "ghost", labels, durationSeconds: 600, count: 1 },
        { name: "seen", labels, durationSeconds: 60, count: 1 },
      ],
    });
    const ghostId = ghost!.jobId;
    const taken = await until("ghost to start on seen's runner", () => {
      const j = gh.getJob(ghostId);
      return j?.status === "in_progress" && j.runner_name ? j.runner_name : undefined;
    });
    expect(taken).toBe(runnerName(seen!.jobId, 1));
    const task = s.bed.aws.control.listTasks().find((t) => t.env["TORNADE_RUNNER_NAME"] === taken && t.lastStatus === "RUNNING");
    expect(s.bed.aws.control.interruptSpot(task!.taskArn)).toHaveLength(1);

    const rerun = await until(
      "ghost's re-run to complete",
      () => gh.listJobs({ runId: Number(gh.getJob(ghostId)!.run_id) }).find((j) => j.name === "ghost" && Number(j.id) !== ghostId && j.status === "completed"),
      30_000,
    );
    expect(rerun.conclusion).toBe("success");
    expect(gh.getJob(ghostId)).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(gh.listDeliveries().some((d) => d.jobId === ghostId && d.action === "completed")).toBe(false);
    expect((await s.tornade.built.store.getJob(ghostId))?.decision).toMatchObject({ rerun: "requested" });
    await until("seen to complete", () => (gh.getJob(seen!.jobId)?.status === "completed" ? true : undefined), 30_000);
    expect(gh.getJob(seen!.jobId)?.conclusion).toBe("success");
    gh.clearFaults();
  });
});
