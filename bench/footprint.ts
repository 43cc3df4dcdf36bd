/**
 * Footprint with history: 100,000 finished jobs (each with its stopped launch) written straight into a SQLite store
 * through the store's own API, then `tornade serve` started on that file; its RSS after start-up and a few simulated
 * minutes of its periodic rounds (tracker, sweeper, reaper) over that history.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scaledClock } from "../src/clock/clock.js";
import { openSqlite } from "../src/store/sqlite.js";
import { SqliteStoreSync } from "../src/store/sqlite-store.js";
import { idleRuntime } from "../testbed/runtime.js";
import { round, sleep } from "./stats.js";
import { childUsage, startWorld } from "./world.js";

export async function benchHistory(opts: { jobs: number; progress: (s: string) => void }): Promise<{ jobs: number; rssMb: number; fillSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tornade-bench-history-"));
  try {
    const path = join(dir, "tornade.db");
    const started = performance.now();
    fill(path, opts.jobs);
    const fillSeconds = round((performance.now() - started) / 1000, 1);
    opts.progress(`  history: ${opts.jobs} finished jobs written in ${fillSeconds} s`);
    const speed = 100;
    const world = await startWorld({ speed, webhooks: false, runtime: idleRuntime(), storePath: path });
    try {
      // Five simulated minutes of rounds over the history, then one look at the dashboard's API, as an operator would.
      await world.clock.sleep(5 * 60_000);
      await fetch(`${world.proc.adminUrl}/api/state`).then((r) => r.text()).catch(() => "");
      await sleep(500);
      const u = await childUsage(world.proc.child.pid!);
      return { jobs: opts.jobs, rssMb: round(Math.max(u.rssMb, u.peakRssMb), 1), fillSeconds };
    } finally {
      await world.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fill(path: string, n: number): void {
  const clock = scaledClock(1);
  // Bulk load only: "normal" durability, one transaction per 10,000 rows (tornade itself then opens it with FULL).
  const handle = openSqlite(path, { durability: "normal" });
  const store = new SqliteStoreSync(handle, clock);
  const now = clock.now() - 86_400_000;
  try {
    for (let from = 1; from <= n; from += 10_000) {
      handle.tx(() => {
        for (let id = from; id < Math.min(n + 1, from + 10_000); id++) {
          const at = now + id;
          const labels = ["self-hosted", "tornade", `history-${id}`, "runs-on=FARGATE_SPOT"];
          store.createJobIfAbsent({
            id, runId: id, runAttempt: 1, repository: "tornade-org/app", owner: "tornade-org", repo: "app", installationId: 51_000_001,
            labels, name: `history-${id}`, workflowName: "history",
            status: "completed", conclusion: "success", runnerName: `tornade-${id}-1`, createdAt: at, receivedAt: at,
            decision: { kind: "launch", spec: { backend: "FARGATE_SPOT", arch: "X86_64", image: "default", runnerLabels: labels } },
          });
          store.putLaunch({
            jobId: id, attempt: 1, backend: "FARGATE_SPOT", arch: "X86_64", runnerName: `tornade-${id}-1`, requestedAt: at,
            providerId: `arn:aws:ecs:us-east-1:123456789012:task/tornade/${id.toString(16).padStart(32, "0")}`,
            state: "stopped", launchedAt: at + 1000, startedAt: at + 30_000, stoppedAt: at + 330_000,
          });
        }
      });
    }
  } finally {
    handle.close();
  }
}
