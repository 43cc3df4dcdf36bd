/**
 * Where organization runners may be used (docs/security.md, "Scope"). GitHub hands a queued job to any idle runner
 * whose labels cover the job's, among the runners its repository may use — and which repositories may use an
 * organization runner is its runner group's "repository access", not tornade's allow-list. The Default group (id 1)
 * is open to every repository of the organization unless an owner changed it, and whatever else registers there
 * shares it ("Managing access to self-hosted runners using groups", docs.github.com), so with an allow-list a job of a repository tornade refuses could still take a runner tornade
 * launched for an allowed one. Only a group restricted to the allowed repositories makes the allow-list hold.
 */
import type { Config } from "./schema.js";

/** The group GitHub creates in every organization, where runners go unless told otherwise. */
export const DEFAULT_RUNNER_GROUP_ID = 1;

export function checkScope(config: Config, where: (key: string) => string): string[] {
  const g = config.github;
  if (g.runnerScope !== "org" || g.runnerGroupId !== DEFAULT_RUNNER_GROUP_ID) return [];
  const allowed = [...g.allowedRepositories, ...g.allowedOrganizations];
  if (allowed.length === 0) return [];
  return [
    `${where("github.runnerGroupId")}: organization runners in the Default group (1) are open to every repository of the organization, ` +
      `so a job of a repository tornade does not serve (allowed: ${allowed.join(", ")}) could take a runner launched for an allowed one. ` +
      `Fix: create a runner group whose repository access is restricted to the allowed repositories (Organization settings → Actions → ` +
      `Runner groups → New runner group → Selected repositories), then set TORNADE_RUNNER_GROUP_ID (github.runnerGroupId) to its id; ` +
      "`tornade check` verifies the group's access",
  ];
}
