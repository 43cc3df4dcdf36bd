/**
 * A Lambda-only deployment leaves nothing of tornade's behind: one invocation of the sweep function runs the reaper's
 * round (the one `tornade serve` runs on its timer), which deregisters a runner idle after its job ran on another and
 * stops its task or build, and removes a registration no launch stands behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepHandler } from "../../src/lambda/sweep.js";
import type { LambdaServices } from "../../src/lambda/wiring.js";
import type { LaunchRecord } from "../../src/store/store.js";
import { deployFunctions, startWorld, until, type Deployed, type World } from "./world.js";

const ORPHAN = "tornade-999999-1";
let w: World;
let s: LambdaServices;
let deployed: Deployed;

beforeAll(async () => {
  w = await startWorld(100);
  deployed = await deployFunctions(w);
  s = deployed.s;
});
afterAll(async () => {
  await deployed?.stop();
  await w?.close();
});

/** Once the job's own runner is launched, a second one for it, as a duplicated launch would leave: one of them idles. */
async function launchSpare(jobId: number): Promise<LaunchRecord> {
  const { store } = s.built;
  await until(`job ${jobId}'s first runner`, async () => ((await store.listLaunches(jobId)).some((l) => l.providerId !== null) ? true : undefined));
  const record = (await store.getJob(jobId))!;
  if (record.decision?.kind !== "launch") throw new Error(`job ${jobId}: expected a launch decision, got ${JSON.stringify(record.decision)}`);
  const { launcher } = s.built.controller;
  expect((await launcher.start(launcher.forJob(record, 2, record.decision.spec))).kind).toBe("launched");
  return (await store.getLaunch(`${jobId}-2`))!;
}

describe("the sweep function's reaper round", () => {
  it("deregisters idle runners, stops their task and build, and removes a registration with no launch", async () => {
    const gh = w.bed.github;
    const labels = (backend: string) => ["self-hosted", "tornade", `runs-on=${backend}`];
    const run = gh.control.createRun({
      workflowName: "spares",
      jobs: [
        { name: "fargate", labels: labels("FARGATE"), durationSeconds: 60 },
        { name: "codebuild", labels: labels("CODEBUILD"), durationSeconds: 60 },
      ],
    });
    const ids = run.jobs.map((j) => Number(j.id));
    const spares = await Promise.all(ids.map(launchSpare));
    // A launch interrupted after its JIT config: registered on GitHub, no launch row behind it.
    await s.built.github.generateJitConfig({ installationId: gh.installationId, owner: gh.owner, repo: gh.repo, scope: "repo", runnerGroupId: 1, name: ORPHAN, labels: ["self-hosted", "tornade"] });

    await until("both jobs completed in tornade's records", async () => {
      const records = await Promise.all(ids.map((id) => s.built.store.getJob(id)));
      return records.every((r) => r?.status === "completed") ? true : undefined;
    });
    const idleFrom = Math.max(...spares.map((l) => l.launchedAt ?? Infinity)) + s.config.launch.idleTimeoutSeconds * 1000;
    await until("the spares past the idle timeout", () => (w.clock.now() > idleFrom ? true : undefined));
    const idleNames = await Promise.all(ids.map((id) => until(`job ${id}'s idle runner up`, () => {
      const busy = gh.control.getJob(id)?.runner_name;
      const idle = gh.control.listRunners().find((r) => r.name.startsWith(`tornade-${id}-`) && r.name !== busy && r.status === "online");
      return idle?.name;
    })));
    const calls = () => w.bed.aws.control.stats().calls;
    const stopsBefore = { task: calls()["ecs.StopTask"] ?? 0, build: calls()["codebuild.StopBuild"] ?? 0 };

    const result = await sweepHandler(s, () => {})();

    expect(result.reaped).toMatchObject({ stopped: 2 });
    expect(result.reaped.deregistered).toBe(1); // the orphan; an idle runner is deregistered as part of its release
    const registered = gh.control.listRunners().map((r) => r.name);
    for (const name of [...idleNames, ORPHAN]) expect(registered).not.toContain(name);
    const released = await Promise.all(ids.map(async (id, i) => (await s.built.store.listLaunches(id)).find((l) => l.runnerName === idleNames[i])!));
    for (const l of released) expect(l).toMatchObject({ state: "stopped", outcome: { kind: "idle" } });
    const [task, build] = released as [LaunchRecord, LaunchRecord];
    expect(task.backend).toBe("FARGATE");
    // Deregistered, the runner may exit by itself before StopTask arrives: either way the task ends.
    expect(w.bed.aws.control.listTasks().find((t) => t.taskArn === task.providerId)?.desiredStatus).toBe("STOPPED");
    expect(build.backend).toBe("CODEBUILD");
    expect(w.bed.aws.control.listBuilds().find((b) => b.id === build.providerId)?.buildStatus).toBe("STOPPED");
    expect(calls()["ecs.StopTask"] ?? 0).toBe(stopsBefore.task + 1);
    expect(calls()["codebuild.StopBuild"] ?? 0).toBe(stopsBefore.build + 1);

    // The next invocation, in another execution environment, finds nothing more to release.
    expect((await sweepHandler(await w.services(), () => {})()).reaped).toEqual({ stopped: 0, deregistered: 0, refreshed: 0 });
  });

  it("runs every round though one fails, then fails the invocation naming that round", async () => {
    const gh = w.bed.github.control;
    const run = gh.createRun({ workflowName: "after", jobs: [{ name: "fargate", labels: ["self-hosted", "tornade", "runs-on=FARGATE"], durationSeconds: 60 }] });
    const id = Number(run.jobs[0]!.id);
    const launch = await until("the job's runner launched", async () => (await s.built.store.listLaunches(id)).find((l) => l.providerId !== null));
    await until("the job completed and its task stopped", () =>
      gh.getJob(id)?.status === "completed" && w.bed.aws.control.listTasks().find((t) => t.taskArn === launch.providerId)?.lastStatus === "STOPPED" ? true : undefined,
    );
    // No state-change event is sent here: only the tracker's round can learn that the task stopped.
    expect((await s.built.store.getLaunch(launch.id))?.state).not.toBe("stopped");
    // The reaper's runner listing is refused (as an App without the runners permission is): its round fails.
    gh.failEndpoint({ method: "GET", route: "/repos/{owner}/{repo}/actions/runners", status: 403, times: 1000 });
    const lines: string[] = [];
    try {
      await expect(sweepHandler(s, (l) => lines.push(l))()).rejects.toThrow(/sweep: 1 round\(s\) failed .*reaper: /);
    } finally {
      gh.clearFaults();
    }
    // The tracker still recorded the task's stop, and the dead letters still went out.
    expect((await s.built.store.getLaunch(launch.id))?.state).toBe("stopped");
    expect(lines).toHaveLength(1);
  });
});
