/**
 * A database file written by the schema before typed launch state (version 3) opens under the current one: its launch
 * rows' state, kept then in `error.kind`, reads back as typed outcomes, and the re-run targets kept then in meta keys
 * read back from the job rows. The old schema is built by the shipped steps 1–3 of sqlite.ts MIGRATIONS (append only:
 * a shipped step is never edited), and filled with rows exactly as that code wrote them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { openDatabase } from "./sqlite-driver.js";
import { MIGRATIONS, SCHEMA_VERSION } from "./sqlite.js";
import { sqliteStore } from "./sqlite-store.js";

/** The shipped steps 1–3 of sqlite.ts MIGRATIONS (append only, never edited): the version-3 schema exactly. */
const SCHEMA_V3 = MIGRATIONS.slice(0, 3);

const spec = { backend: "FARGATE_SPOT", arch: "X86_64", image: "default", runnerLabels: ["self-hosted", "tornade"] };

/** Launch errors as the version-3 code wrote them (receiver, reconciler, tracker, launcher, reaper). */
const OLD_ERRORS: Record<number, object | null> = {
  1: { kind: "taken-by-sibling", message: "its runner took job 2, an identical sibling", takenBy: 2 },
  2: { kind: "taken-by-refused-job", message: "its runner was taken by job 9 of acme/other, which this tornade refuses: repository \"acme/other\" is not in this tornade's allowed repositories or organizations", takenBy: 9 },
  3: { kind: "spot-interrupted", message: "Your Spot Task was interrupted." },
  4: { kind: "spot-interrupted-checked", message: "Your Spot Task was interrupted." },
  5: { kind: "runner-failed", message: "Essential container in task exited" },
  6: { kind: "idle", message: "idle runner stopped: its job ran elsewhere" },
  7: { kind: "cancelled", message: "job cancelled before its runner took it" },
  8: { kind: "boot-timeout", message: "runner not running 600 s after launch" },
  9: { kind: "capacity", message: "ECS: Capacity is unavailable at this time." },
  10: null,
};

function writeVersion3File(path: string): void {
  const db = openDatabase(path);
  db.pragma("journal_mode = WAL");
  for (const ddl of SCHEMA_V3) {
    if (typeof ddl !== "string") throw new Error("steps 1–3 of MIGRATIONS shipped as SQL text; a shipped step was edited");
    db.exec(ddl);
  }
  db.pragma("user_version = 3");
  const job = db.prepare(
    `INSERT INTO jobs (id, run_id, run_attempt, repository, owner, repo, installation_id, labels, name, workflow_name, status,
       conclusion, runner_name, decision, created_at, received_at, updated_at, version, started_at)
     VALUES (?, ?, ?, 'octo/widgets', 'octo', 'widgets', 77, '["self-hosted","tornade"]', ?, 'CI', ?, ?, NULL, ?, 1000, 1001, 1002, 1, NULL)`,
  );
  job.run(100, 500, 1, "build", "completed", "failure", JSON.stringify({ kind: "launch", spec, headSha: "abc", rerun: "requested" }));
  job.run(101, 500, 2, "build", "queued", null, JSON.stringify({ kind: "launch", spec, headSha: "abc" }));
  job.run(102, 500, 1, "lint", "queued", null, JSON.stringify({ kind: "rejected", reason: "bad", headSha: "abc", reported: "check-run" }));
  const launch = db.prepare(
    `INSERT INTO launches (id, job_id, attempt, backend, arch, provider_id, runner_name, state, error, spot_interrupted,
       fallback_from, requested_at, launched_at, started_at, stopped_at, updated_at, version)
     VALUES (?, 100, ?, 'FARGATE_SPOT', 'X86_64', 'arn:task', ?, ?, ?, ?, NULL, 10, 11, 12, 13, 14, 3)`,
  );
  for (const [attempt, error] of Object.entries(OLD_ERRORS)) {
    const state = error && "kind" in error && error.kind === "capacity" ? "failed" : "stopped";
    launch.run(`100-${attempt}`, Number(attempt), `tornade-100-${attempt}`, state, error ? JSON.stringify(error) : null, attempt === "3" ? 1 : 0);
  }
  const meta = db.prepare("INSERT INTO meta (key, value, updated_at) VALUES (?, ?, 5)");
  meta.run("rerun-backend:500:build", "FARGATE");
  meta.run("sweeper:delivery-watermark", "1234");
  db.close();
}

const dir = mkdtempSync(join(tmpdir(), "tornade-migrate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a version-3 SQLite file, opened by this tornade", () => {
  const path = join(dir, "v3.db");
  writeVersion3File(path);
  const store = sqliteStore(path, scaledClock(1));
  afterAll(() => store.close());

  it("is migrated to the current schema on start", () => {
    expect(Number(store.handle.db.pragma("user_version", { simple: true }))).toBe(SCHEMA_VERSION);
  });

  it("reads each launch's old error kind as the typed outcome it stood for", async () => {
    const byAttempt = new Map((await store.listLaunches(100)).map((l) => [l.attempt, l]));
    expect(byAttempt.size).toBe(10);
    const fields = (a: number) => ({ error: byAttempt.get(a)?.error, outcome: byAttempt.get(a)?.outcome });
    expect(fields(1)).toEqual({ error: null, outcome: { kind: "taken", jobId: 2, refused: null } });
    expect(fields(2)).toEqual({
      error: null,
      outcome: { kind: "taken", jobId: 9, refused: { repository: "acme/other", reason: "repository \"acme/other\" is not in this tornade's allowed repositories or organizations" } },
    });
    expect(fields(3)).toEqual({ error: null, outcome: { kind: "spot-interrupted", checked: false, reason: "Your Spot Task was interrupted." } });
    expect(byAttempt.get(3)?.spotInterrupted).toBe(true);
    expect(fields(4)).toEqual({ error: null, outcome: { kind: "spot-interrupted", checked: true, reason: "Your Spot Task was interrupted." } });
    expect(fields(5)).toEqual({ error: null, outcome: { kind: "runner-failed", reason: "Essential container in task exited" } });
    expect(fields(6)).toEqual({ error: null, outcome: { kind: "idle", reason: "idle runner stopped: its job ran elsewhere" } });
    expect(fields(7)).toEqual({ error: null, outcome: { kind: "cancelled", reason: "job cancelled before its runner took it" } });
    expect(fields(8)).toEqual({ error: null, outcome: { kind: "boot-timeout", reason: "runner not running 600 s after launch" } });
    expect(fields(9)).toEqual({ error: { kind: "capacity", message: "ECS: Capacity is unavailable at this time." }, outcome: null });
    expect(fields(10)).toEqual({ error: null, outcome: null });
    // Everything else of the row is as it was.
    expect(byAttempt.get(1)).toMatchObject({ state: "stopped", providerId: "arn:task", stoppedAt: 13, version: 3 });
  });

  it("rewrites the rows themselves, so SQL over the file sees the new columns", () => {
    const rows = store.handle.db.prepare("SELECT json_extract(outcome, '$.kind') AS kind, count(*) AS n FROM launches GROUP BY 1 ORDER BY 1").all();
    expect(rows).toEqual([
      { kind: null, n: 2 },
      { kind: "boot-timeout", n: 1 },
      { kind: "cancelled", n: 1 },
      { kind: "idle", n: 1 },
      { kind: "runner-failed", n: 1 },
      { kind: "spot-interrupted", n: 2 },
      { kind: "taken", n: 2 },
    ]);
    expect(store.handle.db.prepare("SELECT count(*) AS n FROM launches WHERE error IS NOT NULL").get()).toEqual({ n: 1 });
  });

  it("reads the old launches as neither standbys nor handed to one (migration 6)", async () => {
    const launches = await store.listLaunches(100);
    expect(launches.map((l) => [l.standby, l.handoffFrom])).toEqual(launches.map(() => [null, null]));
  });

  it("moves a re-run's promised backend from its meta key onto the job row, and leaves other meta alone", async () => {
    expect((await store.getJob(100))?.rerunBackend).toBe("FARGATE");
    expect((await store.getJob(101))?.rerunBackend).toBeNull();
    expect(await store.findRerunBackend(500, "build", 2)).toBe("FARGATE");
    expect(await store.getMeta("rerun-backend:500:build")).toBeUndefined();
    expect(await store.getMeta("sweeper:delivery-watermark")).toBe("1234");
  });

  it("reads the old jobs' decisions as typed decisions", async () => {
    expect((await store.getJob(100))?.decision).toEqual({ kind: "launch", spec, headSha: "abc", rerun: "requested" });
    expect((await store.getJob(102))?.decision).toEqual({ kind: "rejected", reason: "bad", headSha: "abc", reported: "check-run" });
  });
});
