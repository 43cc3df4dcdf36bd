/**
 * A Spot interruption of a standby that took its job before the handoff was recorded (docs/standby.md, "What can go
 * wrong"), under `tornade serve` against the test bed. The handoff's write lands but tornade never hears it did (every
 * answer lost), so the job's launch row fails with no task, while the standby reads its config and takes the job; the
 * standby's row, still claimed, is then the only one following the task. The chaos run with standbys lost such a job
 * when the interruption came before the standby round adopted the task: the stop was recorded on the standby's row
 * alone, and the job's re-run decision never saw it. It must be re-run exactly once, and the re-run must complete.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../testbed/until.js";
import { startBedTornade, type BedTornade } from "../support/bed-tornade.js";
import { interruptAndAwaitRerun } from "../support/spot-rerun.js";

const LABELS = ["self-hosted", "tornade", "runs-on=FARGATE_SPOT", "arch=X86_64", "standby-spot-test"];
/** tornade's SSM client keeps the AWS SDK's default of 3 attempts: every one of them loses its answer. */
const SDK_ATTEMPTS = 3;

let t: BedTornade;

beforeAll(async () => {
  t = await startBedTornade({
    speed: 30,
    env: {
      TORNADE_STANDBY: "FARGATE_SPOT/X86_64=1",
      // The standby round settles a claim (adopting a standby found running its job) a little after the launch
      // timeout: at its maximum, the claim stays unsettled for the whole test, the window the chaos run fell into.
      TORNADE_LAUNCH_TIMEOUT_SECONDS: "3600",
    },
  });
}, 90_000);

afterAll(async () => {
  await t?.close();
});

const standbyTask = () =>
  t.bed.aws.control.listTasks().find((task) => task.env["TORNADE_RUNNER_NAME"]?.startsWith("tornade-standby-") && task.lastStatus === "RUNNING");

describe("a Spot standby interrupted while running a job whose handoff was never recorded", () => {
  it("re-runs the job exactly once, and the re-run completes", { timeout: 240_000 }, async () => {
    const gh = t.bed.github.control;
    const aws = t.bed.aws.control;
    const store = t.tornade.built.store;
    const standby = await until("a Spot standby to wait", standbyTask, 60_000);
    expect(standby.capacity).toBe("FARGATE_SPOT");

    // The handoff's write lands on every attempt but no answer reaches tornade: the handoff fails. Removing the unused
    // registration fails too (GitHub refuses a busy runner; here a 5xx, so that the standby's runner survives however
    // fast it takes the job), and the standby runs the job.
    aws.failNext({ service: "ssm", operation: "PutParameter", error: "InternalServerError", times: SDK_ATTEMPTS, afterApplying: true });
    gh.failEndpoint({ method: "DELETE", route: "/repos/{owner}/{repo}/actions/runners/{runner_id}", status: 500, times: 20 });
    const run = gh.createRun({ jobs: [{ name: "spot-standby", labels: LABELS, durationSeconds: 300 }] });
    const id = Number(run.jobs[0]?.id);

    await until("the standby to run the job and its handoff to have failed", async () => {
      const job = gh.getJob(id);
      const row = await store.getLaunch(`${id}-1`);
      return job?.status === "in_progress" && row?.state === "failed" ? true : undefined;
    }, 60_000);
    gh.clearFaults();
    expect(gh.getJob(id)?.runner_name).toBe(`tornade-${id}-1`);
    // The window: the job's row holds no task, the standby's row — still claimed for it — follows the task alone.
    const own = await store.getLaunch(`${id}-1`);
    expect(own).toMatchObject({ state: "failed", providerId: null, handoffFrom: expect.any(String) });
    const claimed = await store.getLaunch(own!.handoffFrom!);
    expect(claimed).toMatchObject({ providerId: standby.taskArn, standby: { status: { kind: "claimed", jobId: id, attempt: 1 } } });

    await interruptAndAwaitRerun(t.bed, { taskArn: standby.taskArn, jobId: id, runId: run.id, name: "spot-standby" });
    expect((await store.getJob(id))?.decision).toMatchObject({ rerun: "requested" });
    // The stop was recorded where the task was followed: on the standby's row, as a Spot interruption.
    expect(await store.getLaunch(claimed!.id)).toMatchObject({ state: "stopped", spotInterrupted: true });
  });
});
