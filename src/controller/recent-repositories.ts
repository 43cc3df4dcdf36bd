/** Repositories tornade heard of recently: where the sweeper and the reaper look, within their API budgets. */
import type { Store } from "../store/store.js";

export interface RepositoryRef {
  readonly installationId: number;
  readonly owner: string;
  readonly repo: string;
}

/**
 * Repositories with a job for tornade received in the last `withinMs`, newest activity first (from the newest 1,000
 * jobs).
 */
export async function recentRepositories(store: Store, now: number, withinMs: number): Promise<RepositoryRef[]> {
  const page = await store.listJobs({ order: "newest", limit: 1000 });
  const repos = new Map<string, RepositoryRef>();
  for (const j of page.jobs) {
    // Repositories whose jobs are not tornade's (GitHub-hosted runners, other labels) are not worth an API call.
    if (now - j.receivedAt > withinMs || j.decision?.kind === "ignored") continue;
    const key = j.repository.toLowerCase();
    if (!repos.has(key)) repos.set(key, { installationId: j.installationId, owner: j.owner, repo: j.repo });
  }
  return [...repos.values()];
}
