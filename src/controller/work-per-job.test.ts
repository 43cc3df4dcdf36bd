/**
 * What one job costs the controller, counted rather than timed (a shared machine makes CPU figures noisy; these
 * counts are what the CPU is spent on, docs/performance.md "Work per job"): the real controller (HTTP intake, SQLite
 * on disk, workers, Octokit, AWS SDK) runs jobs against the test bed from `queued` to their runners' stop, and the test
 * counts per job the queue's work items, the commits the controller waited to be synced, the lines it logged at info
 * and above, and its launch calls to GitHub and AWS. The bounds are the lowered figures, so a change that brings the
 * old work back fails here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBedTornade, type BedTornade } from "../../test/support/bed-tornade.js";
import { until } from "../../testbed/until.js";
import { createLogger } from "../log/logger.js";
import type { SqliteQueue } from "../queue/sqlite-queue.js";
import type { SqliteHandle } from "../store/sqlite.js";

const JOBS = 16;
const dir = mkdtempSync(join(tmpdir(), "tornade-work-per-job-"));
const lines: Record<string, unknown>[] = [];
let t: BedTornade;
const ids: number[] = [];
const counted = { items: 0, syncedCommits: 0 };
/** Writes committed but not yet synced: their rows are already readable, what follows them (a log line) not yet run. */
let syncing = 0;
let github: Record<string, number> = {};
let aws: Record<string, number> = {};

/**
 * Counts the work items the queue creates from now on: rows inserted into queue_items, by a trigger of this test's
 * connection alone (TEMP). An enqueue that coalesces into a pending item of its job inserts none, and costs no lease.
 */
function countItems(h: SqliteHandle): () => number {
  h.db.exec(
    `CREATE TEMP TABLE items_created (key TEXT NOT NULL);
     CREATE TEMP TRIGGER count_items AFTER INSERT ON queue_items BEGIN INSERT INTO items_created VALUES (new.key); END;`,
  );
  return () => (h.db.prepare("SELECT COUNT(*) AS n FROM items_created").get() as { n: number }).n;
}

/** Nothing leased and nothing visible now: every look the jobs asked for has been taken and acknowledged. */
function queueSettled(h: SqliteHandle, now: number): boolean {
  const row = h.db
    .prepare("SELECT COUNT(*) AS n FROM queue_items WHERE dead = 0 AND (receipt IS NOT NULL OR visible_at <= ?)")
    .get(now) as { n: number };
  return row.n === 0;
}

beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  t = await startBedTornade({ speed: 100, logger: createLogger({ level: "info", destination }), storePath: join(dir, "tornade.db") });
  const handle = (t.tornade.built.queue as SqliteQueue).handle;
  // Every write the controller waits on the disk for goes through durably (sqlite.ts): counted, then done as before.
  const durably = handle.durably;
  handle.durably = <T>(fn: () => T): Promise<T> => {
    counted.syncedCommits++;
    syncing++;
    return durably(fn).finally(() => syncing--);
  };
  const gh = t.bed.github.control;
  const itemsCreated = countItems(handle);
  const commitsBefore = counted.syncedCommits;
  gh.resetStats();
  t.bed.aws.control.resetStats();
  // A label of its own per job: only its own runner can take it, as in the steady benchmark (no sibling swaps).
  for (let i = 0; i < JOBS; i++) {
    const run = gh.createRun({ workflowName: "per-job", jobs: [{ name: `job-${i}`, labels: ["self-hosted", "tornade", "runs-on=FARGATE", `per-job-${i}`], durationSeconds: 20 }] });
    ids.push(...run.jobs.map((j) => Number(j.id)));
  }
  const store = t.tornade.built.store;
  await until(
    "every job completed, its runner stopped and its looks taken",
    async () => {
      const done = await Promise.all(
        ids.map(async (id) => {
          const launches = await store.listLaunches(id);
          return gh.getJob(id)?.status === "completed" && (await store.getJob(id))?.status === "completed" && launches.length > 0 && launches.every((l) => l.state === "stopped");
        }),
      );
      // A stop's row is readable as soon as it is committed, before its sync ends and before the controller, resumed
      // by that sync, logs "runner stopped": the wait is over only when no commit is waiting for its sync.
      return done.every(Boolean) && queueSettled(handle, t.clock.now()) && syncing === 0;
    },
    60_000,
  );
  counted.items = itemsCreated();
  counted.syncedCommits -= commitsBefore;
  github = gh.stats().requests;
  aws = t.bed.aws.control.stats().calls;
}, 90_000);

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`work per job (${JOBS} jobs, queued to stopped)`, () => {
  it("ran every job on a runner of its own, once", () => {
    expect(t.bed.github.control.listJobs().filter((j) => ids.includes(Number(j.id)) && j.conclusion === "success")).toHaveLength(JOBS);
    expect(aws["ecs.RunTask"]).toBe(JOBS);
  });

  it("takes about 1 work item a job: the launch; starting, finishing and stopping on its own runner ask for none", () => {
    // Was 3.75-4.0, a look each when the job started, finished and its runner stopped, each finding nothing to do;
    // the intake now leaves those out (core/look-needed.ts). Before that, 4.4-4.8, when the runner coming up asked for
    // a look of its own (tracker.ts lookAfter). The quarter above 1 is room for a stray retry, not a second look.
    expect(counted.items / JOBS).toBeLessThanOrEqual(1.25);
  });

  it("waits for about 7 synced commits a job, the rounds' included", () => {
    // Per job: 3 intakes (queued, in_progress, completed), the launch row and its "launched", the runner's "running",
    // and its stop written with its look. 6.8-7.25 measured with the sweeper's and reaper's rounds; 9.2-9.4 before
    // (the runner's "running" with a look, and each look a commit of its own).
    expect(counted.syncedCommits / JOBS).toBeLessThanOrEqual(7.5);
  });

  it("logs two lines a job at info: its runner launched and stopped", () => {
    const about = (id: number) => lines.filter((l) => l["jobId"] === id && Number(l["level"]) >= 30).map((l) => l["msg"]);
    // Was 5: "job taken in" for each of its three webhooks too (now at debug).
    for (const id of ids) expect(about(id)).toEqual(["runner launched", "runner stopped"]);
  });

  it("calls GitHub and AWS once each per launch step: one JIT config, one parameter, one task", () => {
    expect(github["POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig"]).toBe(JOBS);
    expect(aws["ssm.PutParameter"]).toBe(JOBS);
  });
});
