/**
 * Migration 4 of the SQLite schema (sqlite.ts): launch and job state become typed fields.
 *
 * Before it, what became of a launch's runner was a value of its `error` column ("taken-by-sibling", "idle", ...) and
 * the backend promised to a re-run lived in a meta key `rerun-backend:<run id>:<job name>`. After it, the launch has an
 * `outcome` column and the job a `rerun_backend` column; old rows are rewritten here, once, in the transaction that
 * runs the migration, and the meta keys are gone.
 */
import { BACKENDS } from "../core/types.js";
import { launchFieldsOf } from "./record-fields.js";
import type { SqliteDatabase } from "./sqlite-driver.js";
import { encodeJson } from "./sqlite-rows.js";

export function migrateToTypedState(db: SqliteDatabase): void {
  db.exec(`ALTER TABLE launches ADD COLUMN outcome TEXT;
           ALTER TABLE jobs ADD COLUMN rerun_backend TEXT;
           CREATE INDEX jobs_by_rerun ON jobs (run_id, name, run_attempt) WHERE rerun_backend IS NOT NULL;`);

  const rewrite = db.prepare("UPDATE launches SET error = ?, outcome = ? WHERE id = ?");
  for (const row of db.prepare("SELECT id, error FROM launches WHERE error IS NOT NULL").all()) {
    const { id, error } = row as { id: string; error: string };
    const typed = launchFieldsOf(JSON.parse(error) as unknown, null);
    rewrite.run(encodeJson(typed.error), encodeJson(typed.outcome), id);
  }

  // The target goes to the earliest attempt of that job in the store: every later attempt (the re-run) finds it there,
  // as every later attempt found the meta key before.
  const target = db.prepare(
    "UPDATE jobs SET rerun_backend = ? WHERE id = (SELECT id FROM jobs WHERE run_id = ? AND name = ? ORDER BY run_attempt, id LIMIT 1)",
  );
  for (const row of db.prepare("SELECT key, value FROM meta WHERE key LIKE 'rerun-backend:%'").all()) {
    const { key, value } = row as { key: string; value: string };
    const m = /^rerun-backend:(\d+):([\s\S]*)$/.exec(key);
    const backend = BACKENDS.find((b) => b === value);
    if (m && backend) target.run(backend, Number(m[1]), m[2]);
  }
  db.exec("DELETE FROM meta WHERE key LIKE 'rerun-backend:%'");
}

