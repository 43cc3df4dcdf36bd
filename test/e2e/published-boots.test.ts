/**
 * tornade on the test bed's published boot clock (docs/testbed.md, "Boot times"): the seed's five jobs, on Fargate,
 * Fargate Spot and CodeBuild, x86_64 and ARM64, each wait out their launch's drawn boot — provisioning, image pull and
 * the runner's start-up — and then complete. No runner takes its job before its boot is over.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootPlan } from "../../testbed/aws/index.js";
import { runSeed, startBedTornade, type BedTornade, type SeedRun } from "../support/bed-tornade.js";

/** DOWNLOAD_SOURCE, INSTALL and PRE_BUILD: one second each before BUILD (testbed/aws/codebuild.ts). */
const CODEBUILD_SHORT_PHASES_MS = 3_000;

let t: BedTornade;
let seed: SeedRun;

beforeAll(async () => {
  // 60×, not the usual 600×: each real millisecond of tornade's own work is then 60 simulated ones, far below the
  // runner start-ups drawn (seconds), so a runner that skipped its start-up would be seen taking its job too early.
  t = await startBedTornade({ speed: 60, aws: { boot: { profile: "published", seed: 14 } } });
  seed = await runSeed(t.bed, t.tornade.built.store, 60_000);
}, 90_000);

afterAll(async () => {
  await t?.close();
});

describe("the published boot clock under tornade", () => {
  it("runs each seed job only after its launch's drawn boot, and completes it", () => {
    const aws = t.bed.aws.control;
    const launches = [
      ...aws.listTasks().map((l) => ({ jobId: Number(l.env["TORNADE_JOB_ID"]), createdAt: l.createdAt, boot: l.boot, extraMs: 0 })),
      ...aws.listBuilds().map((l) => ({ jobId: Number(l.env["TORNADE_JOB_ID"]), createdAt: l.startTime, boot: l.boot, extraMs: CODEBUILD_SHORT_PHASES_MS })),
    ];
    const bootMs = (b: BootPlan) => b.queuedMs + b.provisioningMs + b.pullMs + b.runnerStartMs;
    expect(seed.launched).toHaveLength(5);
    for (const id of seed.launched) {
      const job = t.bed.github.control.getJob(id);
      expect(job).toMatchObject({ status: "completed", conclusion: "success" });
      const mine = launches.filter((l) => l.jobId === id);
      expect(mine).toHaveLength(1);
      const launch = mine[0]!;
      expect(launch.boot).toBeDefined();
      // A drawn boot, not the fixed profile's: the runner's start-up is part of it.
      expect(launch.boot!.runnerStartMs).toBeGreaterThan(0);
      // GitHub's started_at is in whole seconds.
      const ready = launch.createdAt + launch.extraMs + bootMs(launch.boot!);
      expect(Date.parse(job!.started_at ?? "")).toBeGreaterThanOrEqual(Math.floor(ready / 1000) * 1000);
    }
  });
});
