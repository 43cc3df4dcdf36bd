/**
 * `tornade check`, runner group: with organization runners and an allow-list, the configured group
 * (github.runnerGroupId) must admit exactly the allowed repositories of each organization, or a job of a repository
 * tornade refuses could take a runner launched for an allowed one (docs/security.md, "Scope"). Reads
 * GET /orgs/{org}/actions/runner-groups/{id} (its visibility) and, for "selected", .../repositories; both need the
 * App's "Self-hosted runners" organization permission (read), which tornade's write permission includes.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { allowedIn, gapless, groupAccessGaps, organizationsOf, type AllowList, type RunnerGroupAccess } from "../core/runner-group-access.js";
import { createGitHubClients, type GitHubClients, type GitHubOctokit } from "../github/auth.js";
import { errorText, fail, pass, skip, type CheckResult } from "./result.js";

const GROUP_SETTINGS = "Organization settings → Actions → Runner groups";

export async function checkRunnerGroups(config: Config, clock: Clock): Promise<CheckResult[]> {
  const g = config.github;
  if (g.runnerScope !== "org") return [];
  const allow: AllowList = { repositories: g.allowedRepositories, organizations: g.allowedOrganizations, allowPublic: g.allowPublicRepositories };
  const orgs = organizationsOf(allow);
  if (orgs.length === 0) {
    return [skip(`github: runner group ${g.runnerGroupId}`, "no allow-list: the runners may serve every repository, so any repository access fits")];
  }
  const auth = g.appId !== undefined && g.privateKey !== undefined
    ? { kind: "app" as const, appId: g.appId, privateKeyPem: g.privateKey }
    : g.personalToken !== undefined ? { kind: "token" as const, token: g.personalToken } : undefined;
  // No credentials: the GitHub checks already say so.
  if (!auth) return [];
  const clients = createGitHubClients({ auth, baseUrl: g.baseUrl, clock, maxRateLimitRetries: 0, maxServerErrorRetries: 1, writeSpacingMs: 0 });
  const results: CheckResult[] = [];
  for (const org of orgs) results.push(await checkGroup(clients, org, g.runnerGroupId, allow));
  return results;
}

async function checkGroup(clients: GitHubClients, org: string, id: number, allow: AllowList): Promise<CheckResult> {
  const name = `github: runner group ${id} in ${org}`;
  let octokit: GitHubOctokit;
  try {
    const app = clients.forApp();
    octokit = clients.forInstallation(app ? (await app.request("GET /orgs/{org}/installation", { org })).data.id : undefined);
  } catch (e) {
    return skip(name, `cannot be read: the App is not installed on ${org} (${errorText(e)})`);
  }
  let group: RunnerGroupAccess;
  try {
    group = await readGroup(octokit, org, id);
  } catch (e) {
    const status = (e as { status?: unknown }).status;
    if (status === 404) {
      return fail(name, `no runner group ${id} in ${org}`, `set TORNADE_RUNNER_GROUP_ID (github.runnerGroupId) to the id of tornade's group (${GROUP_SETTINGS}: the number in the group's address)`);
    }
    if (status === 403) return fail(name, `GitHub refused to show it (${errorText(e)})`, `give the App "Self-hosted runners" (read or write) on the organization ${org}`);
    return fail(name, `cannot read it (${errorText(e)})`, "check GitHub's status and the App's permissions, then run check again");
  }
  return verdict(name, org, group, allow);
}

async function readGroup(octokit: GitHubOctokit, org: string, id: number): Promise<RunnerGroupAccess> {
  const { data } = await octokit.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", { org, runner_group_id: id });
  const selected: string[] = [];
  if (data.visibility === "selected") {
    for (let page = 1; ; page++) {
      const res = await octokit.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", { org, runner_group_id: id, per_page: 100, page });
      selected.push(...res.data.repositories.map((r) => r.full_name));
      if (res.data.repositories.length < 100 || selected.length >= res.data.total_count) break;
    }
  }
  return { id, name: data.name, visibility: data.visibility, allowsPublicRepositories: data.allows_public_repositories, selectedRepositories: selected };
}

function verdict(name: string, org: string, group: RunnerGroupAccess, allow: AllowList): CheckResult {
  const gaps = groupAccessGaps(org, group, allow);
  const allowed = allowedIn(org, allow);
  const label = `"${group.name}" (visibility ${group.visibility})`;
  if (gapless(gaps)) {
    const served = allow.organizations.some((o) => o.toLowerCase() === org.toLowerCase()) ? `every repository of ${org}` : allowed.join(", ");
    return pass(name, `${label} admits only what tornade serves: ${served}`);
  }
  const found: string[] = [];
  const fixes: string[] = [];
  const restrict = `restrict its repository access to the allowed repositories (${GROUP_SETTINGS} → ${group.name} → Repository access: Selected repositories: ${allowed.join(", ")}), or set TORNADE_RUNNER_GROUP_ID to a group that is`;
  if (typeof gaps.tooOpen === "string") {
    found.push(`it admits ${gaps.tooOpen}, so a job of a repository tornade refuses could take a runner launched for an allowed one`);
    fixes.push(restrict);
  } else if (gaps.tooOpen.length > 0) {
    found.push(`it also admits ${gaps.tooOpen.join(", ")}, which tornade refuses: their jobs could take tornade's runners`);
    fixes.push(`remove them from the group's selected repositories (${GROUP_SETTINGS} → ${group.name} → Repository access), or set TORNADE_RUNNER_GROUP_ID to a group restricted to ${allowed.join(", ")}`);
  }
  if (gaps.notAdmitted.length > 0) {
    found.push(`it does not admit ${gaps.notAdmitted.join(", ")}: their jobs would find no runner`);
    fixes.push(`add ${gaps.notAdmitted.join(", ")} to the group's selected repositories, or remove them from allowedRepositories`);
  }
  if (gaps.publicAdmitted) {
    found.push("it allows public repositories, which tornade refuses");
    fixes.push(`turn off "Allow public repositories" on the group (or set github.allowPublicRepositories: true if you mean to serve them)`);
  }
  return fail(name, `${label}: ${found.join("; ")}`, fixes.join("; "));
}
