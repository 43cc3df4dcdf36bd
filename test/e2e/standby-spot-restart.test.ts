/**
 * The restart variant of standby-spot.test.ts: `tornade serve` (a child process) is SIGKILLed the moment a Spot
 * standby's config is written, before it hears the answer — as the chaos run kills it mid-handoff. The standby reads
 * the config and takes the job; the restarted controller finds the job's launch row still "requested" (no task) and
 * the standby's row claimed for it. Then the standby's task is Spot-interrupted: the job must be re-run exactly once,
 * and the re-run must complete.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedClock } from "../../src/clock/clock.js";
import { JIT_PARAMETER_ENV } from "../../src/core/runner-env.js";
import { openDatabase } from "../../src/store/sqlite-driver.js";
import type { RequestRecord } from "../../testbed/aws/index.js";
import { startTestBed } from "../../testbed/index.js";
import { until } from "../../testbed/until.js";
import { interruptAndAwaitRerun } from "../support/spot-rerun.js";
import { freePort, startTornade, type TornadeProcess } from "../support/tornade-process.js";

const SPEED = 30;
const LABELS = ["self-hosted", "tornade", "runs-on=FARGATE_SPOT", "arch=X86_64", "standby-spot-restart"];

/** The launch rows tornade's store holds, read as the operator's sqlite3 would (the child process owns the store). */
function launchRow(storePath: string, id: string): { state: string; provider_id: string | null; handoff_from: string | null; standby: string | null } | undefined {
  const db = openDatabase(storePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT state, provider_id, handoff_from, standby FROM launches WHERE id = ?").get(id) as ReturnType<typeof launchRow>;
  } finally {
    db.close();
  }
}

describe("a Spot standby interrupted mid-job after tornade was SIGKILLed mid-handoff", () => {
  it("re-runs the job exactly once after the restart, and the re-run completes", { timeout: 300_000 }, async () => {
    const origin = Date.now();
    let proc: TornadeProcess | undefined;
    /** The parameter of the standby whose handoff kills tornade; undefined once it has. */
    let killAt: string | undefined;
    const onRequest = (r: RequestRecord) => {
      const name = (r.body as { Name?: unknown } | null)?.Name;
      if (r.service !== "ssm" || r.operation !== "PutParameter" || killAt === undefined || name !== killAt) return;
      killAt = undefined;
      // Synchronously, before the write takes effect: it lands, tornade never hears so.
      proc?.child.kill("SIGKILL");
    };
    const dir = mkdtempSync(join(tmpdir(), "tornade-standby-spot-"));
    const bed = await startTestBed({ clock: sharedClock(SPEED, origin), runnerLog: () => {}, github: { runnerLostAfterMs: 60 * 60_000 }, aws: { onRequest } });
    try {
      const gh = bed.github.control;
      const aws = bed.aws.control;
      // At the maximum launch timeout neither the abandoned request nor the standby's claim is settled during the test.
      const env = { TORNADE_STANDBY: "FARGATE_SPOT/X86_64=1", TORNADE_LAUNCH_TIMEOUT_SECONDS: "3600" };
      const opts = { port: await freePort(), storePath: join(dir, "tornade.db"), clock: { speed: SPEED, origin }, env };
      proc = await startTornade(bed, opts);
      gh.setWebhookUrl(`${proc.url}/events`);

      const standby = await until("a Spot standby to wait", () => aws.listTasks().find((t) => t.env["TORNADE_RUNNER_NAME"]?.startsWith("tornade-standby-") && t.lastStatus === "RUNNING"), 60_000);
      killAt = standby.env[JIT_PARAMETER_ENV];
      expect(killAt).toBeDefined();
      // Long enough to still run after the restart (a few real seconds, minutes of simulated time).
      const run = gh.createRun({ jobs: [{ name: "spot-standby", labels: LABELS, durationSeconds: 600 }] });
      const id = Number(run.jobs[0]?.id);
      expect(await proc.exited).toBe("SIGKILL");

      proc = await startTornade(bed, opts);
      await until("the standby to run the job", () => (gh.getJob(id)?.status === "in_progress" ? true : undefined), 60_000);
      expect(gh.getJob(id)?.runner_name).toBe(`tornade-${id}-1`);
      // The window: the job's row holds no task, the standby's row — claimed for it — follows the task alone.
      const own = launchRow(opts.storePath, `${id}-1`);
      expect(own).toMatchObject({ state: "requested", provider_id: null });
      const claimed = launchRow(opts.storePath, own!.handoff_from!);
      expect(claimed?.provider_id).toBe(standby.taskArn);
      expect(JSON.parse(claimed?.standby ?? "null")).toMatchObject({ status: { kind: "claimed", jobId: id, attempt: 1 } });

      const output = () => proc?.output().slice(-6000);
      await interruptAndAwaitRerun(bed, { taskArn: standby.taskArn, jobId: id, runId: run.id, name: "spot-standby" }).catch((e: Error) =>
        Promise.reject(new Error(`${e.message}\n--- tornade output ---\n${output()}`)),
      );
    } finally {
      proc?.child.kill("SIGKILL");
      await bed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
