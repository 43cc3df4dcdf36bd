/**
 * The seed's workflow end to end: tornade serve's real code (HTTP intake, SQLite, workers, Octokit, AWS SDK) against
 * the simulated GitHub, ECS, CodeBuild and runners. Each of the seed's five jobs gets exactly one runner on its
 * backend and arch and completes; the static job, a job without the launch label and a job with a bad label launch
 * nothing, each for its stated reason.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER, seedScenario } from "../../src/sandbox/scenario.js";
import { sandbox, until } from "./helpers.js";

let s: Sandbox;
let jobs: { name: string; jobId: number; labels: readonly string[] }[];

beforeAll(async () => {
  s = await sandbox();
  jobs = await s.queueScenario({
    jobs: [
      ...seedScenario.jobs,
      { name: "not_tornade", labels: ["self-hosted", "linux", "x64"], durationSeconds: 30, count: 1 },
      { name: "bad_label", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "arch=RISCV"], durationSeconds: 30, count: 1 },
    ],
  });
  const gh = s.bed.github.control;
  const launched = jobs.filter((j) => !["static", "not_tornade", "bad_label"].includes(j.name));
  await until("the seed's five jobs to complete", () => (launched.every((j) => gh.getJob(j.jobId)?.status === "completed") ? true : undefined), 30_000);
  // The two of its own that launch nothing are settled once tornade has recorded a decision for each; the job that is
  // not tornade's once its delivery was answered.
  await until("every job to be decided", async () => {
    const stored = await Promise.all(jobs.filter((j) => j.name !== "not_tornade").map((j) => s.tornade.built.store.getJob(j.jobId)));
    const foreign = s.bed.github.control.listDeliveries().some((d) => d.jobId === notTornade().jobId && d.statusCode === 200);
    return stored.every((j) => j?.decision) && foreign ? true : undefined;
  });
});

afterAll(async () => {
  await s?.close();
});

const notTornade = () => jobs.find((j) => j.name === "not_tornade")!;

const seed: Record<string, { backend: string; arch: "X86_64" | "ARM64" }> = {
  fargate_x86: { backend: "FARGATE", arch: "X86_64" },
  fargate_arm64: { backend: "FARGATE", arch: "ARM64" },
  fargate_spot: { backend: "FARGATE_SPOT", arch: "X86_64" },
  codebuild_x86: { backend: "CODEBUILD", arch: "X86_64" },
  codebuild_arm64: { backend: "CODEBUILD", arch: "ARM64" },
};

describe("the seed workflow", () => {
  it.each(Object.entries(seed))("%s gets exactly one runner on its backend and arch, and completes", async (name, want) => {
    const job = jobs.find((j) => j.name === name);
    expect(job).toBeDefined();
    const id = job!.jobId;
    const gh = s.bed.github.control.getJob(id);
    expect(gh).toMatchObject({ status: "completed", conclusion: "success", runner_name: `tornade-${id}-1` });

    // tornade recorded when the job started on its runner (the end of its queue time).
    const stored = await s.tornade.built.store.getJob(id);
    expect(stored?.startedAt).toBe(Date.parse(gh!.started_at));

    const launches = await s.tornade.built.store.listLaunches(id);
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({ backend: want.backend, arch: want.arch, attempt: 1 });

    // What AWS actually ran: the task's capacity provider and architecture, or the build's environment type.
    const providerId = launches[0]!.providerId;
    if (want.backend === "CODEBUILD") {
      const builds = s.bed.aws.control.listBuilds().filter((b) => b.id === providerId);
      expect(builds).toHaveLength(1);
      expect(builds[0]!.environmentType).toBe(want.arch === "ARM64" ? "ARM_CONTAINER" : "LINUX_CONTAINER");
      expect(builds[0]!.privilegedMode).toBe(true);
    } else {
      const tasks = s.bed.aws.control.listTasks().filter((t) => t.taskArn === providerId);
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ capacity: want.backend, arch: want.arch });
    }
  });

  it("registers each runner with exactly the job's labels, the run id among them", async () => {
    const job = jobs.find((j) => j.name === "fargate_spot")!;
    const gh = s.bed.github.control.getJob(job.jobId)!;
    expect(gh.labels).toContain(String(gh.run_id));
    const launch = (await s.tornade.built.store.listLaunches(job.jobId))[0]!;
    const task = s.bed.aws.control.listTasks().find((t) => t.taskArn === launch.providerId)!;
    // The task was told its runner's name; the JIT config reached it through a one-time SSM parameter, now deleted.
    expect(task.env["TORNADE_RUNNER_NAME"]).toBe(`tornade-${job.jobId}-1`);
    expect(task.env["ACTIONS_RUNNER_INPUT_JITCONFIG"]).toBeUndefined();
    // The simulated GitHub matched this runner to the job only because its labels include every job label.
    expect(gh.runner_name).toBe(`tornade-${job.jobId}-1`);
  });

  it("launches nothing for the static job", async () => {
    const job = jobs.find((j) => j.name === "static")!;
    expect(await s.tornade.built.store.listLaunches(job.jobId)).toHaveLength(0);
    expect((await s.tornade.built.store.getJob(job.jobId))?.decision).toMatchObject({ kind: "static" });
  });

  it("counts a job without the launch label, and keeps nothing of it", async () => {
    const job = notTornade();
    expect(await s.tornade.built.store.listLaunches(job.jobId)).toHaveLength(0);
    expect(await s.tornade.built.store.getJob(job.jobId)).toBeUndefined();
    // Not on the dashboard either: its repository, name and labels are not tornade's business.
    const state = (await (await fetch(`${s.tornade.adminUrl}/api/state`)).json()) as { jobs: { id: number }[] };
    expect(state.jobs.map((j) => j.id)).not.toContain(job.jobId);
    expect(state.jobs.length).toBeGreaterThan(0);
    // Counted: its queued delivery (and any later one) as a foreign webhook.
    const metrics = await (await fetch(`${s.tornade.adminUrl}/metrics`)).text();
    const foreign = Number(/^tornade_webhooks_total\{outcome="foreign"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    expect(foreign).toBeGreaterThanOrEqual(1);
  });

  it("rejects a bad label, naming it and what is allowed", async () => {
    const job = jobs.find((j) => j.name === "bad_label")!;
    expect(await s.tornade.built.store.listLaunches(job.jobId)).toHaveLength(0);
    const decision = (await s.tornade.built.store.getJob(job.jobId))?.decision;
    expect(decision?.kind).toBe("rejected");
    const reason = decision && "reason" in decision ? decision.reason : undefined;
    expect(reason).toMatch(/arch=RISCV/);
    expect(reason).toMatch(/X86_64/);
    // …and says so on GitHub: a failed check run on the job's commit, naming the label and what is allowed.
    const sha = s.bed.github.control.getJob(job.jobId)?.head_sha;
    const check = await until("the check run", () => s.bed.github.control.listCheckRuns().find((c) => c.head_sha === sha && c.name.includes("bad_label")));
    expect(check).toMatchObject({ conclusion: "failure", output: { title: expect.stringMatching(/will not run/) } });
    expect(check.output.summary).toMatch(/arch=RISCV/);
    expect((await s.tornade.built.store.getJob(job.jobId))?.decision).toMatchObject({ reported: "check-run" });
  });

  it("made one RunTask or StartBuild per launched job, and left nothing running", async () => {
    const calls = s.bed.aws.control.stats().calls;
    expect((calls["ecs.RunTask"] ?? 0) + (calls["codebuild.StartBuild"] ?? 0)).toBe(5);
    await until("tasks and builds to stop", () =>
      s.bed.aws.control.listTasks().every((t) => t.lastStatus === "STOPPED") &&
      s.bed.aws.control.listBuilds().every((b) => b.buildStatus !== "IN_PROGRESS")
        ? true
        : undefined,
    );
    expect(s.bed.github.control.listRunners()).toHaveLength(0);
  });
});
