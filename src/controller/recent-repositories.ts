/** Repositories tornade heard of recently: where the sweeper and the reaper look, within their API budgets. */
import type { Store } from "../store/store.js";

export interface RepositoryRef {
  readonly installationId: number;
  readonly owner: string;
  readonly repo: string;
}

/** Repositories with a job received in the last `withinMs`, newest activity first (from the newest 1,000 jobs). */
export async function recentRepositories(store: Store, now: number, withinMs: number): Promise<RepositoryRef[]> {
  const page = await store.listJobs({ order: "newest", limit: 1000 });
  const repos = new Map<string, RepositoryRef>();
  for (const j of page.jobs) {
    if (now - j.receivedAt > withinMs) continue;
    const key = j.repository.toLowerCase();
    if (!repos.has(key)) repos.set(key, { installationId: j.installationId, owner: j.owner, repo: j.repo });
  }
  return [...repos.values()];
}
