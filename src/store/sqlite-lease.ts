/** Leases (lease.ts) in the embedded SQLite store: table leases, one conditional upsert per take or renewal. */
import type { Clock } from "../clock/clock.js";
import type { SqliteHandle } from "./sqlite.js";
import type { Lease } from "./lease.js";

export class SqliteLeases {
  constructor(private readonly h: SqliteHandle, private readonly clock: Clock) {}

  acquireLease(name: string, holder: string, ttlMs: number): boolean {
    const now = this.clock.now();
    // Inserted when absent; otherwise taken over only when it is the holder's own or has lapsed.
    const r = this.h
      .stmt(
        `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
      )
      .run(name, holder, now + ttlMs, now);
    return r.changes === 1;
  }

  releaseLease(name: string, holder: string): void {
    this.h.stmt("DELETE FROM leases WHERE name = ? AND holder = ?").run(name, holder);
  }

  getLease(name: string): Lease | undefined {
    const row = this.h.stmt("SELECT name, holder, expires_at FROM leases WHERE name = ?").get(name) as { name: string; holder: string; expires_at: number } | undefined;
    return row && { name: row.name, holder: row.holder, expiresAt: row.expires_at };
  }
}
