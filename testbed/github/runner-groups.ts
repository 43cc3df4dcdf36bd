/**
 * Organization runner groups and their repository access ("Managing access to self-hosted runners using groups" and
 * REST "Self-hosted runner groups", docs.github.com/en/rest/actions/self-hosted-runner-groups):
 * - `visibility` "all" (every repository of the organization), "selected" (the group's `selected_repositories`) or
 *   "private" (every private — and internal — repository);
 * - `allows_public_repositories`, off by default: a public repository may use the group only when it is on, whatever
 *   the visibility;
 * - the Default group (id 1) exists in every organization, open to all repositories, public ones not allowed.
 * The scheduler asks `groupAdmits` before giving a job to an organization runner, so a group restricted to some
 * repositories keeps every other repository's jobs off its runners, as GitHub does.
 */
import type { components } from "@octokit/openapi-types";
import type { SimContext } from "./context.js";
import { intParam, notFound, pageLinks, pageOf, type Req, type Res, type Router } from "./http.js";
import { minimalRepository } from "./payloads.js";
import type { RepoRecord } from "./types.js";

export type RunnerGroupVisibility = "all" | "selected" | "private";

export interface RunnerGroup {
  id: number;
  name: string;
  visibility: RunnerGroupVisibility;
  /** Repository names (without the owner), for visibility "selected". */
  selectedRepositories: string[];
  allowsPublicRepositories: boolean;
}

/** What a test may set when creating a group; unset members take GitHub's defaults for a new group. */
export interface RunnerGroupAccess {
  visibility?: RunnerGroupVisibility;
  selectedRepositories?: string[];
  allowsPublicRepositories?: boolean;
}

export const DEFAULT_GROUP: Readonly<RunnerGroup> = { id: 1, name: "Default", visibility: "all", selectedRepositories: [], allowsPublicRepositories: false };

export function newRunnerGroup(id: number, name: string, access: RunnerGroupAccess = {}): RunnerGroup {
  return {
    id,
    name,
    // "Create a self-hosted runner group for an organization": visibility defaults to all.
    visibility: access.visibility ?? "all",
    selectedRepositories: [...(access.selectedRepositories ?? [])],
    allowsPublicRepositories: access.allowsPublicRepositories ?? false,
  };
}

/** Whether jobs of `repo` may run on the group's runners. */
export function groupAdmits(group: RunnerGroup, repo: Pick<RepoRecord, "name" | "visibility">): boolean {
  if (repo.visibility === "public" && !group.allowsPublicRepositories) return false;
  switch (group.visibility) {
    case "all":
      return true;
    case "private":
      return repo.visibility !== "public";
    case "selected":
      return group.selectedRepositories.some((r) => r.toLowerCase() === repo.name.toLowerCase());
  }
}

type S = components["schemas"];

function groupBody(ctx: SimContext, g: RunnerGroup): S["runner-groups-org"] {
  const base = `${ctx.site.url}/orgs/${ctx.site.owner}/actions/runner-groups/${g.id}`;
  return {
    id: g.id,
    name: g.name,
    visibility: g.visibility,
    default: g.id === DEFAULT_GROUP.id,
    ...(g.visibility === "selected" ? { selected_repositories_url: `${base}/repositories` } : {}),
    runners_url: `${base}/runners`,
    inherited: false,
    allows_public_repositories: g.allowsPublicRepositories,
    restricted_to_workflows: false,
    selected_workflows: [],
    workflow_restrictions_read_only: false,
  };
}

function orgOf(ctx: SimContext, req: Req): boolean {
  return (req.params["org"] ?? "").toLowerCase() === ctx.site.owner.toLowerCase();
}

function groupOf(ctx: SimContext, req: Req): RunnerGroup | undefined {
  const id = intParam(req.params["runner_group_id"]);
  return orgOf(ctx, req) && id !== null ? ctx.state.groups.get(id) : undefined;
}

function listGroups(ctx: SimContext, req: Req): Res {
  if (!orgOf(ctx, req)) return notFound();
  const all = [...ctx.state.groups.values()].sort((a, b) => a.id - b.id);
  return { status: 200, body: { total_count: all.length, runner_groups: pageOf(all, req.query).map((g) => groupBody(ctx, g)) } };
}

/**
 * The selected repositories. For a group whose visibility is not "selected" GitHub's reference does not say what it
 * answers; the sim answers an empty list (tornade asks only about "selected" groups).
 */
function listGroupRepositories(ctx: SimContext, req: Req): Res {
  const g = groupOf(ctx, req);
  if (!g) return notFound();
  const repos = g.visibility === "selected" ? g.selectedRepositories.map((name) => ctx.state.repo(name)) : [];
  const path = `/orgs/${ctx.site.owner}/actions/runner-groups/${g.id}/repositories`;
  return {
    status: 200,
    body: { total_count: repos.length, repositories: pageOf(repos, req.query).map((r) => minimalRepository(ctx.site, r)) },
    headers: pageLinks(ctx.site.url, path, req.query, repos.length),
  };
}

export function addRunnerGroupRoutes(router: Router, ctx: SimContext): void {
  router
    .add("GET", "/orgs/{org}/actions/runner-groups", "installation", (r) => listGroups(ctx, r))
    .add("GET", "/orgs/{org}/actions/runner-groups/{runner_group_id}", "installation", (r) => {
      const g = groupOf(ctx, r);
      return g ? { status: 200, body: groupBody(ctx, g) } : notFound();
    })
    .add("GET", "/orgs/{org}/actions/runner-groups/{runner_group_id}/repositories", "installation", (r) => listGroupRepositories(ctx, r));
}
