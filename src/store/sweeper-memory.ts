/**
 * What the sweeper remembers between rounds: the failed webhook deliveries it follows until one attempt succeeds
 * (core/redelivery.ts), and the runs whose jobs it listed (core/discovery.ts). Part of the Store port, so that it
 * survives a restart and every replica (or Lambda execution environment) shares it — a backlog found by one is
 * redelivered by whichever sweeps next, once.
 *
 * Bounded: a followed delivery is forgotten when it succeeds or GitHub's 3 days are over (the plan says which; on
 * DynamoDB a TTL 4 days after it was found removes any left behind), and a run not looked at for `keepMs` is dropped
 * (SQLite deletes it when its repository's runs are next remembered; DynamoDB's TTL expires it).
 */
import type { LookedAtRun } from "../core/discovery.js";
import type { FailedDelivery } from "../core/redelivery.js";

export type { FailedDelivery, LookedAtRun };

export interface SweeperMemory {
  /** Every failed delivery followed, oldest found first. */
  listFailedDeliveries(): Promise<FailedDelivery[]>;
  /** Starts following these deliveries; one already followed keeps its record as it is. */
  followFailedDeliveries(found: readonly FailedDelivery[]): Promise<void>;
  /**
   * Records a redelivery about to be asked for — attempts + 1, `triedAt`, the attempt's `deliveryId` — only if the
   * record still has the attempts it was read with: of replicas planning the same redelivery one asks, the others
   * get false (as they do for a record no longer followed).
   */
  claimRedelivery(guid: string, readAttempts: number, deliveryId: number, triedAt: number): Promise<boolean>;
  forgetFailedDeliveries(guids: readonly string[]): Promise<void>;

  /** What the sweeper remembers of a repository's runs ("owner/repo"), looked at since `since`. */
  lookedAtRuns(repository: string, since: number): Promise<LookedAtRun[]>;
  /** Remembers runs (replacing what was known of them), kept at least `keepMs` after they were looked at. */
  rememberRuns(repository: string, runs: readonly LookedAtRun[], keepMs: number): Promise<void>;
}

/** DynamoDB's TTL for a followed delivery: a day past GitHub's 3-day redelivery window, should the plan miss it. */
export const FAILED_DELIVERY_TTL_MS = 4 * 24 * 3600_000;
