/** Where a stored job (or recently active repository) lives, as the GitHub port names it. */
import type { RepoRef } from "../github/github-port.js";

/** Installation id 0 is stored for a personal-token setup, which has no installation: the port wants it absent. */
export function repoRefOf(r: { readonly installationId: number; readonly owner: string; readonly repo: string }): RepoRef {
  return { installationId: r.installationId || undefined, owner: r.owner, repo: r.repo };
}
