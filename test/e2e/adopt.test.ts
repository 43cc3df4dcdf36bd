/**
 * A launch whose RunTask answer a crash lost: the task runs (RunTask succeeded), but the store still says "requested"
 * with no task. When the launch lease runs out tornade finds the task by its runner's name and adopts it — it is
 * followed like any other (so a Spot interruption of it still re-runs the job) and nothing is launched twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { launchTimeoutSeconds } from "../../src/sandbox/speed.js";
import { reconcileItem } from "../../src/controller/work-items.js";
import { E2E_SPEED, sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

describe("a launch whose answer a crash lost", () => {
  it("is adopted, not launched again, and its Spot interruption still re-runs the job", async () => {
    const gh = s.bed.github.control;
    const { store, queue } = s.tornade.built;
    const [job] = await s.queueScenario({
      jobs: [{ name: "adopted", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE_SPOT"], durationSeconds: 1800, count: 1 }],
    });
    const id = job!.jobId;
    await until("the job to start", () => (gh.getJob(id)?.status === "in_progress" ? true : undefined));
    const [launch] = await store.listLaunches(id);
    const taskArn = launch!.providerId!;
    // The state a SIGKILL between RunTask and recording its answer leaves, one launch lease ago (the sandbox's lease:
    // its launch timeout is stretched to a few real seconds at this speed).
    await store.updateLaunch(launch!.id, launch!.version, {
      state: "requested",
      providerId: null,
      launchedAt: null,
      requestedAt: s.bed.clock.now() - launchTimeoutSeconds(E2E_SPEED) * 1000,
    });
    await queue.enqueue(reconcileItem(id));
    const adopted = await until("the launch to be adopted", async () => {
      const [l] = await store.listLaunches(id);
      return l?.providerId ? l : undefined;
    });
    expect(adopted).toMatchObject({ attempt: 1, providerId: taskArn });
    expect(await store.listLaunches(id)).toHaveLength(1);

    expect(s.bed.aws.control.interruptSpot(taskArn)).toHaveLength(1);
    const rerun = await until(
      "the re-run to complete",
      () => gh.listJobs({ runId: Number(gh.getJob(id)!.run_id) }).find((j) => Number(j.id) !== id && j.name === "adopted" && j.status === "completed"),
      30_000,
    );
    expect(rerun.conclusion).toBe("success");
  });
});
