/**
 * After a burst drains nothing of tornade's is left: a spare runner whose job ran elsewhere is deregistered and its
 * task stopped once idle past the timeout, and a registration whose launch never happened is removed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { fromStored } from "../../src/controller/stored-decision.js";
import { sandbox, until } from "./helpers.js";

let s: Sandbox;
beforeAll(async () => {
  s = await sandbox();
});
afterAll(async () => {
  await s?.close();
});

describe("the reaper", () => {
  it("stops a spare runner whose job ran on another, and leaves no registration behind", async () => {
    const gh = s.bed.github.control;
    const store = s.tornade.built.store;
    const [job] = await s.queueScenario({
      jobs: [{ name: "spare", labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE"], durationSeconds: 120, count: 1 }],
    });
    const id = job!.jobId;
    await until("the first runner", async () => ((await store.listLaunches(id)).length === 1 ? true : undefined));
    // A second runner for the same job, as a duplicated launch would leave: one of the two runs the job, one idles.
    const record = (await store.getJob(id))!;
    const decision = fromStored(record.decision);
    if (decision?.kind !== "launch") throw new Error("expected a launch decision");
    expect(await s.tornade.built.controller.launcher.launch(record, 2, decision.spec)).toBe("launched");

    await until("the job to complete", () => (gh.getJob(id)?.status === "completed" ? true : undefined));
    const launches = await until("one launch to be stopped as idle", async () => {
      const ls = await store.listLaunches(id);
      return ls.some((l) => l.error?.kind === "idle") ? ls : undefined;
    }, 30_000);
    const idle = launches.find((l) => l.error?.kind === "idle")!;
    expect(idle.runnerName).not.toBe(gh.getJob(id)?.runner_name);
    await until("its task to stop", () => (s.bed.aws.control.listTasks().find((t) => t.taskArn === idle.providerId)?.lastStatus === "STOPPED" ? true : undefined));
    await until("no runner registered", () => (gh.listRunners().length === 0 ? true : undefined));
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
