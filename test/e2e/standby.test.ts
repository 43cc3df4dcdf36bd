/**
 * Standby runners end to end (docs/standby.md): `tornade serve` configured with TORNADE_STANDBY against the test bed on
 * its published boot clock. A standby boots (provisioning, the image pull) before any job; a job of its shape then
 * starts on it — GitHub's started_at − created_at far below the cold boot the standby itself went through — its JIT
 * parameter is gone once used, and a replacement standby boots.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootPlan } from "../../testbed/aws/index.js";
import { until } from "../../testbed/until.js";
import { startBedTornade, type BedTornade } from "../support/bed-tornade.js";

const LABELS = ["self-hosted", "tornade", "runs-on=FARGATE", "arch=X86_64"];

let t: BedTornade;

beforeAll(async () => {
  // 60×, as in published-boots.test.ts: tornade's own real milliseconds stay far below the boot phases drawn.
  t = await startBedTornade({ speed: 60, aws: { boot: { profile: "published", seed: 14 } }, env: { TORNADE_STANDBY: "FARGATE/X86_64=1" } });
}, 90_000);

afterAll(async () => {
  await t?.close();
});

const standbyTasks = () => t.bed.aws.control.listTasks().filter((task) => task.env["TORNADE_RUNNER_NAME"]?.startsWith("tornade-standby-"));

describe("a standby runner under tornade serve", () => {
  it("takes a job of its shape in far less than a cold boot, its parameter is used once, and a replacement boots", async () => {
    const first = await until("a standby to be up", () => standbyTasks().find((task) => task.lastStatus === "RUNNING"), 30_000);
    const standbyName = first.env["TORNADE_RUNNER_NAME"] ?? "";
    expect(t.bed.github.control.listRunners()).toEqual([]);

    const run = t.bed.github.control.createRun({ jobs: [{ name: "warm", labels: LABELS, durationSeconds: 30 }] });
    const id = Number(run.jobs[0]?.id);
    const done = await until("the job to complete", () => {
      const job = t.bed.github.control.getJob(id);
      return job?.status === "completed" && job;
    }, 30_000);
    expect(done).toMatchObject({ conclusion: "success", runner_name: `tornade-${id}-1` });
    // It ran on the standby's task: no task was started for the job itself.
    expect(t.bed.aws.control.listTasks().filter((task) => task.env["TORNADE_JOB_ID"] === String(id))).toEqual([]);
    const launches = await t.tornade.built.store.listLaunches(id);
    expect(launches).toEqual([expect.objectContaining({ providerId: first.taskArn, handoffFrom: expect.any(String) })]);

    // Warm: the wait is the handoff and the runner's own start, not provisioning and the image pull.
    const coldBootMs = (b: BootPlan) => b.queuedMs + b.provisioningMs + b.pullMs + b.runnerStartMs;
    const pickupMs = Date.parse(done.started_at ?? "") - Date.parse(done.created_at);
    expect(first.boot).toBeDefined();
    expect(pickupMs).toBeLessThan(coldBootMs(first.boot!) / 2);

    // Used once: the runner deleted its parameter.
    expect(t.bed.aws.control.listParameters().filter((p) => p.name.includes(standbyName))).toEqual([]);
    // Replaced.
    await until("a replacement standby", () => standbyTasks().some((task) => task.taskArn !== first.taskArn), 30_000);
  });
});
