/**
 * The sweeper's redelivery backlog outlives the process that found it: `tornade serve` comes back from an outage to
 * more failed deliveries than one round may redeliver (150), is killed after that round, and the next `tornade serve`
 * on the same store redelivers the rest — deliveries older than the log's stored watermark, so only the store still
 * knows them — and asks for none twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedClock } from "../../src/clock/clock.js";
import { startTestBed } from "../../testbed/index.js";
import { until } from "./helpers.js";
import { freePort, startTornade, type TornadeProcess } from "../support/tornade-process.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-redelivery-restart-"));
const SPEED = 50;
const FAILED = 160;
const PER_ROUND = 150;
const REDELIVER = "POST /app/hook/deliveries/{delivery_id}/attempts";

describe("the redelivery backlog across a restart of tornade serve", () => {
  it("is redelivered in full by the next process, each delivery once", { timeout: 120_000 }, async () => {
    const origin = Date.now();
    const bed = await startTestBed({ clock: sharedClock(SPEED, origin), runnerLog: () => {} });
    let proc: TornadeProcess | undefined;
    try {
      const gh = bed.github.control;
      const port = await freePort();
      const opts = {
        port,
        storePath: join(dir, "tornade.db"),
        clock: { speed: SPEED, origin },
        // Only the round every start makes: the next one is a simulated hour (72 real seconds) away. No discovery, so a
        // job reaches tornade only through its redelivered webhook.
        env: { TORNADE_SWEEP_INTERVAL_SECONDS: "3600", TORNADE_DISCOVERY_BUDGET: "0" },
      };

      // tornade is down: every `queued` delivery fails to connect and is logged failed, redeliverable.
      gh.setWebhookUrl(`http://127.0.0.1:${port}/events`);
      const runs = Array.from({ length: FAILED }, (_, i) => gh.createRun({ jobs: [{ name: `outage-${i}`, labels: ["self-hosted", "elsewhere"], durationSeconds: 60 }] }));
      const jobIds = new Set(runs.map((r) => Number(r.jobs[0]?.id)));
      await gh.deliveriesIdle();
      const failed = gh.listDeliveries().filter((d) => d.jobId !== null && jobIds.has(d.jobId));
      expect(failed).toHaveLength(FAILED);
      expect(failed.every((d) => d.statusCode === 0)).toBe(true);
      const guids = new Set(failed.map((d) => d.guid));
      const redeliveredOk = () => new Set(gh.listDeliveries().filter((d) => d.redelivery && guids.has(d.guid) && d.statusCode >= 200 && d.statusCode < 300).map((d) => d.guid));
      const asked = () => gh.stats().requests[REDELIVER] ?? 0;
      const redelivered = async (count: number, running: TornadeProcess) => {
        try {
          await until(`${count} failed deliveries redelivered and taken in`, async () => {
            await gh.deliveriesIdle();
            return redeliveredOk().size === count ? true : undefined;
          }, 30_000);
        } catch (e) {
          throw new Error(`${(e as Error).message}: ${redeliveredOk().size} were\n--- tornade output ---\n${running.output().slice(-6000)}`);
        }
      };

      // Back up: the round at start redelivers a round's share, then the process is killed.
      proc = await startTornade(bed, opts);
      await redelivered(PER_ROUND, proc);
      expect(asked()).toBe(PER_ROUND);
      proc.child.kill("SIGKILL");
      expect(await proc.exited).toBe("SIGKILL");

      // The next process's round at start redelivers the rest: it knows them from the store alone.
      proc = await startTornade(bed, opts);
      await redelivered(FAILED, proc);
      expect(asked()).toBe(FAILED);
      for (const guid of guids) expect(gh.listDeliveries().filter((d) => d.guid === guid && d.redelivery)).toHaveLength(1);
    } finally {
      proc?.child.kill("SIGKILL");
      await bed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
