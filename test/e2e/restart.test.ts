/**
 * `tornade serve` killed mid-run (SIGKILL) or stopped (SIGTERM) and started again on the same store loses nothing:
 * every job it had acknowledged gets its runner and completes, and at most the launches in flight at the kill are
 * made twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/store/sqlite-driver.js";
import { afterAll, describe, expect, it } from "vitest";
import { sharedClock } from "../../src/clock/clock.js";
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { until } from "./helpers.js";
import { freePort, startTornade, type TornadeProcess } from "../support/tornade-process.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-restart-"));
const SPEED = 100;
let bed: TestBed | undefined;
let proc: TornadeProcess | undefined;

afterAll(async () => {
  proc?.child.kill("SIGKILL");
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a restart mid-run", () => {
  // SIGKILL: nothing is finished; SIGTERM: work in hand is finished (or handed back) and the process exits 0.
  it.each(["SIGKILL", "SIGTERM"] as const)("after %s loses no job", { timeout: 120_000 }, async (signal) => {
    // A fresh world for each signal: the previous case's tornade and test bed go first.
    proc?.child.kill("SIGKILL");
    await bed?.close();
    const origin = Date.now();
    const clock = sharedClock(SPEED, origin);
    bed = await startTestBed({ clock, runnerLog: () => {}, github: { runnerLostAfterMs: 60 * 60_000 } });
    const port = await freePort();
    const opts = { port, storePath: join(dir, `tornade-${signal}.db`), clock: { speed: SPEED, origin }, env: { TORNADE_LAUNCH_TIMEOUT_SECONDS: "60" } };
    proc = await startTornade(bed, opts);
    bed.github.control.setWebhookUrl(`${proc.url}/events`);
    // Slow GitHub's JIT endpoint so launches are still in flight when the process dies.
    bed.github.control.slowEndpoint({ route: "/repos/{owner}/{repo}/actions/runners/generate-jitconfig", ms: 150 });

    const labels = (backend: string) => ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, `runs-on=${backend}`];
    const run = bed.github.control.createRun({
      jobs: Array.from({ length: 16 }, (_, i) => ({
        name: `job${i}`,
        labels: labels(i % 4 === 3 ? "CODEBUILD" : i % 2 ? "FARGATE_SPOT" : "FARGATE"),
        durationSeconds: 120,
      })),
    });
    const ids = run.jobs.map((j) => Number(j.id));
    const gh = bed.github.control;

    // Every queued webhook acknowledged, and some launches done but not all: then kill -9.
    await until("all webhooks acknowledged", () =>
      ids.every((id) => gh.listDeliveries().some((d) => d.jobId === id && d.action === "queued" && d.statusCode === 202)) ? true : undefined,
    );
    const launchCalls = () => {
      const c = bed!.aws.control.stats().calls;
      return (c["ecs.RunTask"] ?? 0) + (c["codebuild.StartBuild"] ?? 0);
    };
    await until("a first launch", () => (launchCalls() > 0 ? true : undefined));
    expect(launchCalls()).toBeLessThan(ids.length);
    proc.child.kill(signal);
    expect(await proc.exited).toBe(signal === "SIGKILL" ? "SIGKILL" : 0);

    proc = await startTornade(bed, opts);
    try {
      await until("every job to complete", () => (ids.every((id) => gh.getJob(id)?.status === "completed") ? true : undefined), 60_000);
    } catch (e) {
      const states = ids.map((id) => `${id}:${gh.getJob(id)?.status}:${gh.getJob(id)?.runner_name}`).join("\n");
      throw new Error(`${(e as Error).message}\n${states}\n--- tornade output ---\n${proc.output().slice(-6000)}`);
    }

    for (const id of ids) expect(gh.getJob(id)).toMatchObject({ status: "completed", conclusion: "success" });
    // Each job ran on its own tornade runner. Which one is GitHub's choice: identical siblings of one run may swap.
    const runners = ids.map((id) => gh.getJob(id)?.runner_name ?? "");
    for (const r of runners) expect(r).toMatch(/^tornade-\d+-\d+$/);
    expect(new Set(runners).size).toBe(ids.length);
    // Every launch beyond one per job is accounted for: at most the launches in flight at the kill (one per worker)
    // were made twice, and the rest replaced runners an identical sibling took (each confirmed queued with GitHub
    // first), recorded as such in tornade's store.
    const db = openDatabase(opts.storePath, { readonly: true, fileMustExist: true });
    const taken = (db.prepare("SELECT count(*) AS n FROM launches WHERE json_extract(outcome, '$.kind') = 'taken' AND json_extract(outcome, '$.refused') IS NULL").get() as { n: number }).n;
    db.close();
    expect(launchCalls()).toBeLessThanOrEqual(ids.length + 4 + taken);
    // And nothing is left behind once idle spares are reaped.
    await until("no task or build running and no runner registered", () =>
      bed!.aws.control.listTasks().every((t) => t.lastStatus === "STOPPED") &&
      bed!.aws.control.listBuilds().every((b) => b.buildStatus !== "IN_PROGRESS") &&
      gh.listRunners().length === 0
        ? true
        : undefined,
    30_000);
  });
});
