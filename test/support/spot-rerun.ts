/**
 * Test support (imported by tests only): a Spot interruption of the task running a job, and what must follow — GitHub
 * fails the job, tornade re-runs it exactly once, and the re-run (the run's next attempt) completes.
 */
import { expect } from "vitest";
import type { TestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";

/** GitHub's REST route for re-running one job ("Re-run a job from a workflow run"). */
export const RERUN_ROUTE = "POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun";

/** Interrupts `taskArn`, which runs job `jobId` (named `name`) of run `runId`; returns the re-run once it completed. */
export async function interruptAndAwaitRerun(bed: TestBed, o: { taskArn: string; jobId: number; runId: number; name: string }) {
  const gh = bed.github.control;
  expect(bed.aws.control.interruptSpot(o.taskArn)).toEqual([o.taskArn]);
  await until("the interrupted job to fail", () => (gh.getJob(o.jobId)?.status === "completed" ? true : undefined), 60_000);
  expect(gh.getJob(o.jobId)?.conclusion).toBe("failure");
  const rerun = await until(
    "the re-run to complete",
    () => gh.listJobs({ runId: o.runId }).find((j) => Number(j.id) !== o.jobId && j.name === o.name && j.status === "completed"),
    120_000,
  );
  expect(rerun).toMatchObject({ conclusion: "success", run_attempt: 2 });
  expect(gh.stats().requests[RERUN_ROUTE]).toBe(1);
  return rerun;
}
