/**
 * A launch whose RunTask / StartBuild answer a crash lost: the task or build runs, but the store still says
 * "requested" with none. When the launch lease runs out tornade finds it by its runner's name (ECS `startedBy`; on
 * CodeBuild the project's recent builds' TORNADE_RUNNER_NAME) and adopts it — it is followed like any other (so a
 * Spot interruption of it still re-runs the job) and nothing is launched twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { launchTimeoutSeconds } from "../../src/sandbox/speed.js";
import { reconcileItem } from "../../src/controller/work-items.js";
import { jitNameKey } from "../../src/providers/jit-handoff.js";
import { simHandoff } from "../support/sim-handoff.js";
import { E2E_SPEED, sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

/**
 * Leaves job `id`'s first launch as a SIGKILL between RunTask / StartBuild and recording its answer does, one launch
 * lease ago (the sandbox's lease: its launch timeout is stretched to a few real seconds at this speed), and has
 * reconcile look at the job. The provider id the launch had.
 */
async function crashBeforeAnswer(id: number): Promise<string> {
  const { store, queue } = s.tornade.built;
  const [launch] = await store.listLaunches(id);
  await store.updateLaunch(launch!.id, launch!.version, {
    state: "requested",
    providerId: null,
    launchedAt: null,
    requestedAt: s.bed.clock.now() - launchTimeoutSeconds(E2E_SPEED) * 1000,
  });
  await queue.enqueue(reconcileItem(id));
  return launch!.providerId!;
}

/** crashBeforeAnswer, then checks the task or build was adopted and nothing launched again. Its provider id. */
async function loseAnswerToCrash(id: number): Promise<string> {
  const { store } = s.tornade.built;
  const providerId = await crashBeforeAnswer(id);
  const adopted = await until("the launch to be adopted", async () => {
    const [l] = await store.listLaunches(id);
    return l?.providerId ? l : undefined;
  });
  expect(adopted).toMatchObject({ attempt: 1, providerId });
  expect(await store.listLaunches(id)).toHaveLength(1);
  return providerId;
}

/** Queues one long job on `backend` and waits until its runner has taken it. */
async function runningJob(name: string, backend: string): Promise<number> {
  const [job] = await s.queueScenario({
    jobs: [{ name, labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, `runs-on=${backend}`], durationSeconds: 1800, count: 1 }],
  });
  const id = job!.jobId;
  await until("the job to start", () => (s.bed.github.control.getJob(id)?.status === "in_progress" ? true : undefined));
  return id;
}

describe("a launch whose answer a crash lost", () => {
  it("is adopted, not launched again, and its Spot interruption still re-runs the job", async () => {
    const gh = s.bed.github.control;
    const id = await runningJob("adopted", "FARGATE_SPOT");
    const taskArn = await loseAnswerToCrash(id);

    expect(s.bed.aws.control.interruptSpot(taskArn)).toHaveLength(1);
    const rerun = await until(
      "the re-run to complete",
      () => gh.listJobs({ runId: Number(gh.getJob(id)!.run_id) }).find((j) => Number(j.id) !== id && j.name === "adopted" && j.status === "completed"),
      30_000,
    );
    expect(rerun.conclusion).toBe("success");
  });

  it("on CodeBuild, is found among the project's recent builds (no startedBy there) and adopted, not launched again", async () => {
    const id = await runningJob("adopted-build", "CODEBUILD");
    const buildId = await loseAnswerToCrash(id);
    expect(s.bed.aws.control.listBuilds().filter((b) => b.env["TORNADE_JOB_ID"] === String(id)).map((b) => b.id)).toEqual([buildId]);
  });

  it("on CodeBuild without the permission to list builds, is abandoned as not found rather than left unresolved", async () => {
    const { store } = s.tornade.built;
    const id = await runningJob("unlooked-build", "CODEBUILD");
    s.bed.aws.control.failNext({ service: "codebuild", operation: "ListBuildsForProject", error: "AccessDeniedException", times: 1 });
    await crashBeforeAnswer(id);
    // Refused once: taken as not found at once (a refusal thrown instead would be retried, and the retry would adopt).
    const closed = await until("the launch to be resolved", async () => {
      const [l] = await store.listLaunches(id);
      return l?.state !== "requested" ? l : undefined;
    });
    expect(closed).toMatchObject({ attempt: 1, state: "failed", providerId: null });
  });

  it("cut short after its JIT config was written, and found nowhere: its parameter is deleted by the next life", async () => {
    const { store } = s.tornade.built;
    const id = await runningJob("cut-short-build", "CODEBUILD");
    // The config a process SIGKILLed between PutParameter and StartBuild left behind, written as that process (keyed
    // by the same App key, not by this process's memory) names it.
    const earlierLife = simHandoff(s.bed.aws, s.bed.clock, { nameKey: jitNameKey(s.bed.github.privateKeyPem) });
    const left = await earlierLife.put({ runnerName: `tornade-${id}-1`, jitConfig: "eyJsZWZ0LWJ5LWEtY3Jhc2gifQ==" });
    const params = () => s.bed.aws.control.listParameters().map((p) => p.name);
    expect(params()).toContain(left);
    s.bed.aws.control.failNext({ service: "codebuild", operation: "ListBuildsForProject", error: "AccessDeniedException", times: 1 });
    await crashBeforeAnswer(id);
    const closed = await until("the launch to be abandoned", async () => {
      const [l] = await store.listLaunches(id);
      return l?.state !== "requested" ? l : undefined;
    });
    expect(closed).toMatchObject({ attempt: 1, state: "failed" });
    // The row is closed first and the parameter deleted after it (a start that finished meanwhile wins the row, and its
    // runner still reads its config), so the deletion may land a moment after the row is seen failed.
    await until("the parameter to be deleted", () => (params().includes(left) ? undefined : true));
  });
});
