/**
 * Reads what the dashboard needs from the Store port and hands it to buildView. Two queries for the whole page, not
 * one per job: the newest jobs (paged) and every launch in one listLaunchesByState call.
 */
import type { CostCeilings } from "../core/ceilings.js";
import type { Prices } from "../core/cost.js";
import type { QueueDepth } from "../queue/queue.js";
import { LAUNCH_PHASES } from "../core/types.js";
import type { JobRecord, Store } from "../store/store.js";
import { buildView, type DashboardView } from "./model.js";

export interface StateSources {
  readonly store: Pick<Store, "listJobs" | "listLaunchesByState">;
  readonly queueDepth: () => Promise<QueueDepth>;
  readonly now: () => number;
  readonly sandbox: boolean;
  /** tornade's clock speed (Clock.speed): the page marks simulated time when it is not 1. */
  readonly clockSpeed?: number;
  readonly prices?: Prices;
  readonly priceNotes?: readonly string[];
  readonly ceilings?: CostCeilings;
}

/**
 * How far back the dashboard looks. The embedded SQLite store answers these in milliseconds; a deployment with more
 * jobs than this sees the newest ones (counts and cost say "of the newest N" in the notes).
 */
export const MAX_JOBS = 2000;
const MAX_LAUNCHES = 10_000;

export async function readDashboard(src: StateSources): Promise<DashboardView> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await src.store.listJobs({ limit: 1000, order: "newest", ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    cursor = page.cursor;
  } while (cursor && jobs.length < MAX_JOBS);
  const ids = new Set(jobs.map((j) => j.id));
  // The listed jobs' launches, and the standbys' rows (no job's: their own panel).
  const launches = (await src.store.listLaunchesByState(LAUNCH_PHASES, MAX_LAUNCHES)).filter((l) => ids.has(l.jobId) || l.standby !== null);
  const view = buildView({
    jobs,
    launches,
    now: src.now(),
    sandbox: src.sandbox,
    ...(src.clockSpeed === undefined ? {} : { clockSpeed: src.clockSpeed }),
    queueDepth: await src.queueDepth(),
    ...(src.prices ? { prices: src.prices } : {}),
    ...(src.priceNotes ? { priceNotes: src.priceNotes } : {}),
    ...(src.ceilings ? { ceilings: src.ceilings } : {}),
  });
  if (jobs.length < MAX_JOBS) return view;
  return { ...view, notes: [...view.notes, `only the newest ${MAX_JOBS} jobs are counted`] };
}
