/**
 * Starts whose every answer was lost while tornade lives (docs/standby.md, docs/reliability.md): RunTask / StartBuild
 * landed, but each of the SDK's attempts (one start: the idempotency token) was answered with a server fault. tornade
 * looks for the runner by name before calling the launch failed — on ECS its `startedBy`; CodeBuild has no such
 * filter, so the project's recent builds are listed and the one whose TORNADE_RUNNER_NAME is the launch's runner is
 * it — and records it. The answer lost to a crash instead: adopt.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { sandbox, until } from "./helpers.js";

/** The AWS SDK's standard retry mode: three attempts per call. */
const SDK_ATTEMPTS = 3;

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

/** The tasks and builds started for job `jobId` (their runners are told its id). */
function runnersOf(jobId: number): string[] {
  const aws = s.bed.aws.control;
  const started = [...aws.listTasks().map((t) => ({ id: t.taskArn, env: t.env })), ...aws.listBuilds()];
  return started.filter((r) => r.env["TORNADE_JOB_ID"] === String(jobId)).map((r) => r.id);
}

describe("a launch whose every answer was lost though it started", () => {
  for (const [backend, service, operation, error] of [
    ["CODEBUILD", "codebuild", "StartBuild", "InternalFailure"],
    ["FARGATE", "ecs", "RunTask", "ServerException"],
  ] as const) {
    it(`on ${backend}: is found and recorded, not failed and launched again, and its job completes`, async () => {
      const gh = s.bed.github.control;
      s.bed.aws.control.failNext({ service, operation, error, times: SDK_ATTEMPTS, afterApplying: true });
      const labels = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, `runs-on=${backend}`];
      const [job] = await s.queueScenario({ jobs: [{ name: `lost-${operation}`, labels, durationSeconds: 30, count: 1 }] });
      const id = job!.jobId;
      const done = await until("the job to complete", () => (gh.getJob(id)?.status === "completed" ? gh.getJob(id) : undefined), 30_000);
      expect(done?.conclusion).toBe("success");
      // One runner, the first attempt's, on its row (before: the row failed, a second attempt started a second runner).
      const runners = runnersOf(id);
      expect(runners).toHaveLength(1);
      expect(await s.tornade.built.store.listLaunches(id)).toEqual([expect.objectContaining({ attempt: 1, providerId: runners[0] })]);
    });
  }

  it("that did not land, on FARGATE: is recorded failed, its JIT parameter deleted at once, and the next attempt serves the job", async () => {
    const gh = s.bed.github.control;
    s.bed.aws.control.failNext({ service: "ecs", operation: "RunTask", error: "ServerException", times: SDK_ATTEMPTS });
    const labels = ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"];
    const [job] = await s.queueScenario({ jobs: [{ name: "unlanded-RunTask", labels, durationSeconds: 30, count: 1 }] });
    const id = job!.jobId;
    const done = await until("the job to complete", () => (gh.getJob(id)?.status === "completed" ? gh.getJob(id) : undefined), 30_000);
    expect(done?.conclusion).toBe("success");
    expect(await s.tornade.built.store.listLaunches(id)).toEqual([
      expect.objectContaining({ attempt: 1, state: "failed", providerId: null }),
      expect.objectContaining({ attempt: 2, providerId: runnersOf(id)[0] }),
    ]);
    // No runner will read the first attempt's config: it is gone now, not at its expiry 25 minutes on.
    expect(s.bed.aws.control.listParameters().filter((p) => p.name.includes(`/tornade-${id}-`))).toEqual([]);
  });
});
