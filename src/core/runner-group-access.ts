/**
 * Does an organization runner group admit exactly the repositories tornade serves there? GitHub gives a job to any
 * runner whose group its repository may use, so a group open wider than the allow-list lets refused repositories'
 * jobs take tornade's runners, and one narrower leaves allowed repositories' jobs without a runner. Pure: the group as
 * GitHub describes it (REST "Get a self-hosted runner group for an organization") and the allow-list in, the gaps out.
 */

export interface RunnerGroupAccess {
  readonly id: number;
  readonly name: string;
  /** GitHub's `visibility`: "all", "selected" or "private" (every private and internal repository). */
  readonly visibility: string;
  readonly allowsPublicRepositories: boolean;
  /** `owner/repo` of the selected repositories; only read for visibility "selected". */
  readonly selectedRepositories: readonly string[];
}

export interface AllowList {
  /** `owner/repo` names (github.allowedRepositories). */
  readonly repositories: readonly string[];
  /** Owner logins whose every repository is served (github.allowedOrganizations). */
  readonly organizations: readonly string[];
  /** github.allowPublicRepositories. */
  readonly allowPublic: boolean;
}

export interface GroupAccessGaps {
  /** What the group admits that tornade does not serve: a description ("every repository of acme") or names. */
  readonly tooOpen: string | readonly string[];
  /** Allowed repositories of the organization the group does not admit: their jobs would find no runner. */
  readonly notAdmitted: readonly string[];
  /** The group admits public repositories, which tornade refuses. */
  readonly publicAdmitted: boolean;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The allowed repositories of one organization, as configured. */
export function allowedIn(org: string, allow: AllowList): string[] {
  return allow.repositories.filter((r) => same(r.split("/")[0] ?? "", org));
}

/** The organizations whose runner groups tornade's allow-list constrains: every owner it names, once. */
export function organizationsOf(allow: AllowList): string[] {
  const all = [...allow.repositories.map((r) => r.split("/")[0] ?? ""), ...allow.organizations];
  return all.filter((o, i) => o !== "" && all.findIndex((p) => same(p, o)) === i);
}

export function groupAccessGaps(org: string, group: RunnerGroupAccess, allow: AllowList): GroupAccessGaps {
  const publicAdmitted = group.allowsPublicRepositories && !allow.allowPublic;
  // Every repository of the organization is served: any visibility admits only served repositories.
  if (allow.organizations.some((o) => same(o, org))) return { tooOpen: [], notAdmitted: [], publicAdmitted };
  const allowed = allowedIn(org, allow);
  if (group.visibility === "all") return { tooOpen: `every repository of ${org}`, notAdmitted: [], publicAdmitted };
  if (group.visibility === "private") return { tooOpen: `every private repository of ${org}`, notAdmitted: [], publicAdmitted };
  if (group.visibility !== "selected") return { tooOpen: `repositories by visibility "${group.visibility}"`, notAdmitted: [], publicAdmitted };
  return {
    tooOpen: group.selectedRepositories.filter((s) => !allowed.some((a) => same(a, s))),
    notAdmitted: allowed.filter((a) => !group.selectedRepositories.some((s) => same(a, s))),
    publicAdmitted,
  };
}

/** True when the group admits exactly what tornade serves in the organization. */
export function gapless(g: GroupAccessGaps): boolean {
  return g.tooOpen.length === 0 && g.notAdmitted.length === 0 && !g.publicAdmitted;
}
