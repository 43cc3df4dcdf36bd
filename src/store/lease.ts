/**
 * Leases: one holder at a time for something only one replica may do — hold a runner scale set's message session
 * (docs/scale-sets.md: the service allows one session per scale set). Part of the Store port, so every replica sees
 * the same leases, SQLite (one process, but a restarted one) and DynamoDB (replicas) alike.
 *
 * A lease is taken when free or lapsed, renewed by its holder before it lapses, and given up on a clean stop. A
 * holder that dies simply stops renewing: another takes the lease over once `expiresAt` has passed. Times are the
 * store's clock (ms); holders' clocks must agree to within a small part of the lease (they read the same clock).
 */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly expiresAt: number;
}

export interface Leases {
  /**
   * Takes the lease `name` for `holder` until now + `ttlMs`, or renews it: true when `holder` holds it now (it was
   * free, had lapsed, or was already `holder`'s); false while another holds it.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `holder` holds it (another's is left alone). */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The lease as stored (lapsed or not), for the dashboard and tests. */
  getLease(name: string): Promise<Lease | undefined>;
}
