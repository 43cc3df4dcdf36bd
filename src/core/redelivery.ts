/**
 * Which failed webhook deliveries to redeliver, pure. GitHub never retries a failed delivery on its own and keeps it
 * redeliverable for 3 days ("Handling failed webhook deliveries"), so the sweeper reads the App's delivery log, follows
 * every `workflow_job` delivery none of whose attempts succeeded, and asks for it again:
 *
 * - the log is read newest first, down to the newest delivery a previous complete scan saw (the watermark) or the
 *   lookback horizon, so a steady state costs about one page a round (`scanPage`, `nextWatermark`);
 * - what it found failed is followed in the store (`FailedDelivery`) until an attempt succeeds or GitHub's 3 days are
 *   over — so a backlog larger than a round's share, or a redelivery that failed again, outlives the scan that found it,
 *   a restart, and the replica that found it;
 * - each round redelivers `queued` first (a job waiting for its runner), newest first, at most `perRound` (GitHub's
 *   secondary limit is 900 points a minute on one endpoint at 5 points a POST, "Rate limits for the REST API"), and
 *   asks again for a redelivery not seen to succeed after `retryMs`, doubling per attempt up to `retryMaxMs`.
 */

/** A failed `workflow_job` delivery the sweeper follows until one of its attempts succeeds. */
export interface FailedDelivery {
  /** GitHub's `X-GitHub-Delivery` GUID, kept on every redelivery. */
  readonly guid: string;
  /** The delivery log id of its latest known attempt: what a redelivery names. */
  readonly deliveryId: number;
  /** The webhook's action (`queued`, `in_progress`, …): `queued` goes first. */
  readonly action: string | null;
  /** When the sweeper found it failed. */
  readonly foundAt: number;
  /** Redeliveries asked for so far; 0 while it waits for its turn. */
  readonly attempts: number;
  /** When the latest redelivery was asked for; null before the first. */
  readonly triedAt: number | null;
}

export interface RedeliveryPolicy {
  /** Redeliveries asked for in one round. */
  readonly perRound: number;
  /** Redeliveries in flight at once: a backlog after a restart goes out in seconds, not one round trip at a time. */
  readonly concurrency: number;
  /** Wait before asking again for a redelivery not seen to succeed; doubles per attempt, up to retryMaxMs. */
  readonly retryMs: number;
  readonly retryMaxMs: number;
  /** How long GitHub keeps a delivery redeliverable: a failure found longer ago than this is forgotten. */
  readonly retentionMs: number;
}

export const defaultRedeliveryPolicy: RedeliveryPolicy = {
  // 150 POSTs × 5 points = 750 of the 900 a minute, with room for a retry.
  perRound: 150,
  concurrency: 8,
  retryMs: 5 * 60_000,
  retryMaxMs: 3600_000,
  retentionMs: 3 * 24 * 3600_000,
};

// ---------------------------------------------------------------------------------------------------------------
// Reading the log

/** A delivery log entry, as the scan reads it (GitHubPort's WebhookDelivery). */
export interface LoggedDelivery {
  readonly id: number;
  readonly guid: string;
  readonly deliveredAt: number | undefined;
  /** Our endpoint's HTTP answer; 0 when it could not be reached. */
  readonly statusCode: number;
  readonly event: string;
  readonly action: string | null;
}

/** The attempts of one delivery (one GUID) the scan saw. */
export interface DeliveryAttempts {
  /** Some attempt succeeded. */
  readonly ok: boolean;
  readonly latestId: number;
  readonly event: string;
  readonly action: string | null;
}

export interface DeliveryScan {
  readonly byGuid: ReadonlyMap<string, DeliveryAttempts>;
  /** The newest delivery id read. */
  readonly newest: number;
  /** The scan reached what an earlier scan saw, the horizon, or the log's end: nothing newer was left unread. */
  readonly complete: boolean;
}

export function emptyScan(): DeliveryScan {
  return { byGuid: new Map(), newest: 0, complete: false };
}

/** Adds one page of the log (newest first) to the scan. `last`: GitHub has no older page. */
export function scanPage(
  scan: DeliveryScan,
  page: readonly LoggedDelivery[],
  bounds: { readonly watermark: number; readonly horizon: number; readonly last: boolean },
): DeliveryScan {
  const byGuid = new Map(scan.byGuid);
  let { newest, complete } = scan;
  for (const d of page) {
    if (d.id <= bounds.watermark || (d.deliveredAt !== undefined && d.deliveredAt < bounds.horizon)) {
      complete = true;
      continue;
    }
    newest = Math.max(newest, d.id);
    const seen = byGuid.get(d.guid);
    const ok = d.statusCode >= 200 && d.statusCode < 300;
    byGuid.set(d.guid, { ok: ok || (seen?.ok ?? false), latestId: Math.max(d.id, seen?.latestId ?? 0), event: d.event, action: d.action });
  }
  return { byGuid, newest, complete: complete || bounds.last };
}

/** The watermark after a scan: moved only by a complete one, so an unread stretch is read next round. */
export function nextWatermark(scan: DeliveryScan, watermark: number): number {
  return scan.complete ? Math.max(watermark, scan.newest) : watermark;
}

// ---------------------------------------------------------------------------------------------------------------
// The plan of a round

export interface RedeliveryPlan {
  /** Failures found this round, to follow from now on. */
  readonly follow: readonly FailedDelivery[];
  /** GUIDs to stop following: an attempt succeeded, or GitHub's 3 days are over. */
  readonly forget: readonly string[];
  /** To redeliver this round, in order (at most perRound), each as read: its attempts are the claim's expected value. */
  readonly due: readonly FailedDelivery[];
  /** Due but left to the next rounds by the per-round limit. */
  readonly deferred: number;
  /** When the earliest followed delivery not due now falls due (a retry); null when none waits. */
  readonly nextDueAt: number | null;
}

/** Wait before asking again after `attempts` redeliveries: retryMs, doubled per further attempt, capped. */
export function retryWait(attempts: number, policy: Pick<RedeliveryPolicy, "retryMs" | "retryMaxMs">): number {
  return Math.min(policy.retryMaxMs, policy.retryMs * 2 ** Math.max(0, attempts - 1));
}

/** `queued` first: a job waiting for its runner matters more than news about one that has it. */
function rank(d: FailedDelivery): number {
  return d.action === "queued" ? 0 : 1;
}

export function planRedelivery(scan: DeliveryScan, followed: readonly FailedDelivery[], now: number, policy: RedeliveryPolicy): RedeliveryPlan {
  const known = new Map(followed.map((f) => [f.guid, f]));
  const follow: FailedDelivery[] = [];
  const forget: string[] = [];
  const candidates: FailedDelivery[] = [];
  for (const [guid, a] of scan.byGuid) {
    if (a.ok) {
      if (known.has(guid)) forget.push(guid);
    } else if (a.event === "workflow_job" && !known.has(guid)) {
      const found: FailedDelivery = { guid, deliveryId: a.latestId, action: a.action, foundAt: now, attempts: 0, triedAt: null };
      follow.push(found);
      candidates.push(found);
    }
  }
  let nextDueAt: number | null = null;
  for (const f of followed) {
    if (scan.byGuid.get(f.guid)?.ok) continue;
    if (now - f.foundAt > policy.retentionMs) {
      forget.push(f.guid);
      continue;
    }
    const dueAt = f.triedAt === null ? now : f.triedAt + retryWait(f.attempts, policy);
    if (dueAt > now) {
      nextDueAt = Math.min(nextDueAt ?? dueAt, dueAt);
      continue;
    }
    // A redelivery that failed again is a newer attempt in the log: ask for that one.
    candidates.push({ ...f, deliveryId: Math.max(f.deliveryId, scan.byGuid.get(f.guid)?.latestId ?? 0) });
  }
  candidates.sort((a, b) => rank(a) - rank(b) || b.deliveryId - a.deliveryId);
  const due = candidates.slice(0, Math.max(0, policy.perRound));
  return { follow, forget, due, deferred: candidates.length - due.length, nextDueAt };
}
