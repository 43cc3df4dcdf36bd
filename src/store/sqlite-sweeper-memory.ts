/** The sweeper's memory (sweeper-memory.ts) in the embedded SQLite store: tables failed_deliveries, looked_at_runs. */
import type { Clock } from "../clock/clock.js";
import type { SqliteHandle } from "./sqlite.js";
import type { FailedDelivery, LookedAtRun } from "./sweeper-memory.js";

interface FailedDeliveryRow {
  guid: string;
  delivery_id: number;
  action: string | null;
  found_at: number;
  attempts: number;
  tried_at: number | null;
}

export class SqliteSweeperMemory {
  constructor(private readonly h: SqliteHandle, private readonly clock: Clock) {}

  listFailedDeliveries(): FailedDelivery[] {
    const rows = this.h.stmt("SELECT * FROM failed_deliveries ORDER BY found_at, guid").all() as FailedDeliveryRow[];
    return rows.map((r) => ({ guid: r.guid, deliveryId: r.delivery_id, action: r.action, foundAt: r.found_at, attempts: r.attempts, triedAt: r.tried_at }));
  }

  followFailedDeliveries(found: readonly FailedDelivery[]): void {
    const insert = this.h.stmt(
      `INSERT INTO failed_deliveries (guid, delivery_id, action, found_at, attempts, tried_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (guid) DO NOTHING`,
    );
    this.h.tx(() => {
      for (const f of found) insert.run(f.guid, f.deliveryId, f.action, f.foundAt, f.attempts, f.triedAt);
    });
  }

  claimRedelivery(guid: string, readAttempts: number, deliveryId: number, triedAt: number): boolean {
    return (
      this.h
        .stmt("UPDATE failed_deliveries SET attempts = attempts + 1, tried_at = ?, delivery_id = ? WHERE guid = ? AND attempts = ?")
        .run(triedAt, deliveryId, guid, readAttempts).changes === 1
    );
  }

  forgetFailedDeliveries(guids: readonly string[]): void {
    const remove = this.h.stmt("DELETE FROM failed_deliveries WHERE guid = ?");
    this.h.tx(() => {
      for (const guid of guids) remove.run(guid);
    });
  }

  lookedAtRuns(repository: string, since: number): LookedAtRun[] {
    const rows = this.h
      .stmt("SELECT run_id, looked_at, settled FROM looked_at_runs WHERE repository = ? AND looked_at >= ? ORDER BY run_id")
      .all(repository, since) as { run_id: number; looked_at: number; settled: number }[];
    return rows.map((r) => ({ runId: r.run_id, lookedAt: r.looked_at, settled: r.settled === 1 }));
  }

  rememberRuns(repository: string, runs: readonly LookedAtRun[], keepMs: number): void {
    const upsert = this.h.stmt(
      `INSERT INTO looked_at_runs (repository, run_id, looked_at, settled) VALUES (?, ?, ?, ?)
       ON CONFLICT (repository, run_id) DO UPDATE SET looked_at = excluded.looked_at, settled = excluded.settled`,
    );
    this.h.tx(() => {
      for (const r of runs) upsert.run(repository, r.runId, r.lookedAt, r.settled ? 1 : 0);
      this.h.stmt("DELETE FROM looked_at_runs WHERE repository = ? AND looked_at < ?").run(repository, this.clock.now() - keepMs);
    });
  }
}
