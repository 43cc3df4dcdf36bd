/**
 * `tornade check`, GitHub side: the App's credentials (its JWT is accepted, a token can be minted for every
 * installation, with the permissions tornade needs) and access to the repositories / organizations it serves.
 * Every call is a read, except minting installation tokens, which is what tornade does anyway. Tokens are never
 * printed. A failure says which of three things is wrong: GitHub cannot be reached (check/unreachable.ts), GitHub
 * refused the credentials, or the App is not installed where it serves or lacks a permission there.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { createGitHubClients, type GitHubAuth, type GitHubOctokit } from "../github/auth.js";
import { toGitHubError, type GitHubError } from "../github/errors.js";
import { fail, pass, skip, type CheckResult } from "./result.js";
import { unreachable } from "./unreachable.js";

interface Installation {
  readonly id: number;
  readonly account: string;
}

type Level = "read" | "write";

/**
 * Permissions tornade's App asks for (docs/operations.md): Actions read (jobs, runs), Administration write for
 * repository runners or Self-hosted runners write (`organization_self_hosted_runners`) for organization runners
 * ("Permissions required for GitHub Apps" → "Self-hosted runners",
 * https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
 */
function neededPermissions(scope: "repo" | "org"): Array<[string, Level]> {
  return [["actions", "read"], runnerPermission(scope)];
}

/** A permission as the App's settings page names it, and the section it is in. */
const PERMISSION_NAMES: Readonly<Record<string, readonly [string, string]>> = {
  actions: ["Actions", "Repository permissions"],
  administration: ["Administration", "Repository permissions"],
  organization_self_hosted_runners: ["Self-hosted runners", "Organization permissions"],
};

export const permissionName = (key: string, level: Level) => `${PERMISSION_NAMES[key]?.[0] ?? key}: ${level}`;

/** The permission that manages runners of `scope` (registration tokens, JIT configs, scale sets), as the API names it. */
export function runnerPermission(scope: "repo" | "org"): [string, Level] {
  return scope === "org" ? ["organization_self_hosted_runners", "write"] : ["administration", "write"];
}

/** The App's credentials, or a PAT, as configured; undefined when neither is. */
export function checkAuthOf(config: Config): GitHubAuth | undefined {
  const g = config.github;
  if (g.appId !== undefined && g.privateKey !== undefined) return { kind: "app", appId: g.appId, privateKeyPem: g.privateKey };
  return g.personalToken !== undefined ? { kind: "token", token: g.personalToken } : undefined;
}

export function grantFix(missing: ReadonlyArray<readonly [string, Level]>): string {
  const where = missing.map(([k, level]) => {
    const [label, section] = PERMISSION_NAMES[k] ?? [k, "Permissions"];
    return `${section} → ${label}: ${level === "write" ? "Read and write" : "Read-only"}`;
  });
  return `grant it in the App's settings (Permissions & events → ${where.join("; ")}), then accept the new permissions on the installation (the owner's Settings → GitHub Apps → Configure)`;
}

/** What tornade's configuration calls the GitHub API's URL, for fixes. */
const BASE_URL_SETTING = "TORNADE_GITHUB_BASE_URL (github.baseUrl; https://HOST/api/v3 for GitHub Enterprise Server)";

export interface GitHubCheckOptions {
  /** Longest wait for one GitHub answer, ms. */
  readonly timeoutMs: number;
}

export async function checkGitHub(config: Config, clock: Clock, opts: GitHubCheckOptions): Promise<CheckResult[]> {
  const g = config.github;
  const results: CheckResult[] = [];
  const auth = checkAuthOf(config);
  if (!auth) return [fail("github: credentials", "none configured", "set APP_ID and SECRET_KEY_PEM (a GitHub App), or PERSONAL_TOKEN")];
  // No retries: a retry would wait past the call's deadline and report the timeout instead of what really happened
  // (a refused connection, GitHub's 502); a check reports what it sees, and running it again is the retry.
  // Each call gets its own deadline (the call policy's): a GitHub that accepts the connection but never answers is
  // unreachable too.
  const clients = createGitHubClients({ auth, baseUrl: g.baseUrl, clock, maxRateLimitRetries: 0, maxServerErrorRetries: 0, writeSpacingMs: 0, requestTimeoutMs: opts.timeoutMs });
  const scope = g.runnerScope;
  const failed = (name: string, e: unknown, specific?: (ge: GitHubError) => CheckResult | undefined): CheckResult => {
    const ge = toGitHubError(e);
    if (ge.kind === "unreachable" && ge.details.network) return unreachable(name, "GitHub", g.baseUrl, ge.details.network, BASE_URL_SETTING);
    return specific?.(ge) ?? answered(name, ge);
  };

  let installations: Installation[] = [];
  let installUrl: string | undefined;
  const app = clients.forApp();
  if (app) {
    try {
      const me = await app.request("GET /app");
      if (me.data?.html_url) installUrl = `${me.data.html_url}/installations/new`;
      results.push(pass("github: App credentials", `App ${String(me.data?.slug ?? g.appId)} (id ${g.appId}) accepts tornade's JWT`));
    } catch (e) {
      results.push(
        failed("github: App credentials", e, (ge) =>
          ge.kind === "unauthorized"
            ? fail(
                "github: App credentials",
                `GitHub refused the App's JWT (${ge.status}: ${ge.message})`,
                `check that APP_ID (${g.appId}) is the App's ID and SECRET_KEY_PEM its current private key (App settings → Private keys → Generate); check the machine's clock`,
              )
            : undefined,
        ),
      );
      return results;
    }
    try {
      const res = await app.request("GET /app/installations", { per_page: 100 });
      installations = res.data.map((i) => ({ id: i.id, account: accountLogin(i.account) ?? String(i.id) }));
    } catch (e) {
      results.push(failed("github: installations", e));
      return results;
    }
    if (installations.length === 0) {
      results.push(fail("github: installations", "the App is installed nowhere", `install it on your organization or repositories${installUrl ? ` at ${installUrl}` : " (App settings → Install App)"}`));
      return results;
    }
    for (const inst of installations) results.push(await mintToken(app, inst, scope, failed));
  } else {
    results.push(skip("github: App credentials", "a personal access token is configured; a GitHub App is recommended"));
  }

  const access = { installations, installUrl, forInstallation: (id: number | undefined) => clients.forInstallation(id), app, failed };
  results.push(...(await checkAccess(config, access)));
  return results;
}

/** A GitHub answer no check has its own words for: credentials refused, a rate limit, GitHub's trouble, the rest. */
function answered(name: string, ge: GitHubError): CheckResult {
  const said = `${ge.status}: ${ge.message}`;
  switch (ge.kind) {
    case "unauthorized":
      return fail(name, `GitHub refused the credentials (${said})`, "check APP_ID and SECRET_KEY_PEM (or PERSONAL_TOKEN), and the machine's clock");
    case "rate-limited":
      return fail(name, `GitHub's rate limit was reached (${said})`, "wait until it resets (GitHub's x-ratelimit-reset header), then run tornade check again");
    case "transient":
    case "unreachable":
      return fail(name, `GitHub could not answer (${ge.status ? said : ge.message})`, "run tornade check again; if it persists, see https://www.githubstatus.com (or your GitHub Enterprise Server's health)");
    default:
      return fail(name, `GitHub answered ${said}`, "see GitHub's message above; docs/operations.md lists what tornade's App needs");
  }
}

/** An installation's account is a user or organization (login) or an enterprise (slug). */
function accountLogin(account: unknown): string | undefined {
  if (typeof account !== "object" || account === null) return undefined;
  const a = account as Record<string, unknown>;
  return typeof a["login"] === "string" ? a["login"] : typeof a["slug"] === "string" ? a["slug"] : undefined;
}

type Failed = (name: string, e: unknown, specific?: (ge: GitHubError) => CheckResult | undefined) => CheckResult;

async function mintToken(app: GitHubOctokit, inst: Installation, scope: "repo" | "org", failed: Failed): Promise<CheckResult> {
  const name = `github: installation ${inst.id} (${inst.account}) token`;
  try {
    const res = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: inst.id });
    const granted = (res.data.permissions ?? {}) as Record<string, string>;
    const missing = neededPermissions(scope).filter(([k, level]) => !(granted[k] === "write" || (level === "read" && granted[k] === "read")));
    if (missing.length) {
      return fail(name, `a token was minted, but the App lacks ${missing.map(([k, l]) => permissionName(k, l)).join(" and ")} on ${inst.account}`, grantFix(missing));
    }
    return pass(name, `minted; repositories: ${String(res.data.repository_selection ?? "?")}; permissions fit ${scope} runners`);
  } catch (e) {
    return failed(name, e, (ge) =>
      ge.kind === "forbidden" || ge.kind === "not-found"
        ? fail(name, `GitHub refused a token for it (${ge.status}: ${ge.message})`, `check that the installation on ${inst.account} is not suspended (its Settings → GitHub Apps → Configure)`)
        : undefined,
    );
  }
}

type Target = { readonly kind: "repo"; readonly owner: string; readonly repo: string } | { readonly kind: "org"; readonly org: string };

interface Access {
  readonly installations: readonly Installation[];
  /** Where the App is installed on more accounts or repositories (GET /app's html_url + /installations/new). */
  readonly installUrl: string | undefined;
  readonly forInstallation: (id: number | undefined) => GitHubOctokit;
  readonly app: GitHubOctokit | undefined;
  readonly failed: Failed;
}

/** The configured repositories and organizations (or, when none are, every installation's account). */
async function checkAccess(config: Config, a: Access): Promise<CheckResult[]> {
  const g = config.github;
  const results: CheckResult[] = [];
  const install = (where: string) => (a.installUrl ? `install it at ${a.installUrl} (on ${where})` : `install the App on ${where}`);
  const installationOf = async (t: Target): Promise<number | undefined> => {
    if (!a.app) return undefined;
    const res = t.kind === "repo"
      ? await a.app.request("GET /repos/{owner}/{repo}/installation", { owner: t.owner, repo: t.repo })
      : await a.app.request("GET /orgs/{org}/installation", { org: t.org });
    return res.data.id;
  };
  const runnersOf = async (name: string, installationId: number | undefined, t: Target) => {
    const where = t.kind === "repo" ? `${t.owner}/${t.repo}` : t.org;
    const permission = runnerPermission(t.kind);
    try {
      const octokit = a.forInstallation(installationId);
      const res = t.kind === "repo"
        ? await octokit.request("GET /repos/{owner}/{repo}/actions/runners", { owner: t.owner, repo: t.repo, per_page: 1 })
        : await octokit.request("GET /orgs/{org}/actions/runners", { org: t.org, per_page: 1 });
      results.push(pass(name, `runners readable (${res.data.total_count} registered)`));
    } catch (e) {
      results.push(
        a.failed(name, e, (ge) => {
          if (ge.lacksPermission) return fail(name, `the App lacks ${permissionName(...permission)} on ${where} (GitHub: ${ge.message})`, grantFix([permission]));
          if (ge.kind === "not-found" && a.app) return fail(name, `the App's installation does not cover ${where} (GitHub: ${ge.message})`, install(where));
          if (ge.kind === "not-found" || ge.kind === "forbidden") {
            return fail(name, `PERSONAL_TOKEN cannot manage the runners of ${where} (GitHub: ${ge.status} ${ge.message})`, `use a token of an admin of ${where} (fine-grained: ${permissionName(...permission)}; classic: the repo scope${t.kind === "org" ? " and admin:org" : ""})`);
          }
          return undefined;
        }),
      );
    }
  };
  const notInstalled = (name: string, where: string, setting: string) => (ge: GitHubError) =>
    ge.kind === "not-found"
      ? fail(name, `the App is not installed on ${where} (GitHub answers 404 for it: no installation covers it, or it does not exist)`, `${install(where)}, or remove it from ${setting}`)
      : undefined;

  for (const full of g.allowedRepositories) {
    const [owner = "", repo = ""] = full.split("/");
    const name = `github: repository ${full}`;
    let id: number | undefined;
    try {
      id = await installationOf({ kind: "repo", owner, repo });
    } catch (e) {
      results.push(a.failed(name, e, notInstalled(name, full, "TORNADE_ALLOWED_REPOSITORIES (github.allowedRepositories)")));
      continue;
    }
    await runnersOf(name, id, g.runnerScope === "org" ? { kind: "org", org: owner } : { kind: "repo", owner, repo });
  }
  for (const org of g.allowedOrganizations) {
    const name = `github: organization ${org}`;
    let id: number | undefined;
    try {
      id = await installationOf({ kind: "org", org });
    } catch (e) {
      results.push(a.failed(name, e, notInstalled(name, org, "TORNADE_ALLOWED_ORGANIZATIONS (github.allowedOrganizations)")));
      continue;
    }
    if (g.runnerScope === "org") await runnersOf(name, id, { kind: "org", org });
    else results.push(pass(name, `the App is installed (installation ${id ?? "?"}); repository runners are checked per repository`));
  }
  if (g.allowedRepositories.length === 0 && g.allowedOrganizations.length === 0) {
    if (g.runnerScope === "org") {
      for (const inst of a.installations) await runnersOf(`github: organization ${inst.account}`, inst.id, { kind: "org", org: inst.account });
    } else {
      results.push(skip("github: repositories", "none configured (allowedRepositories): every repository of the installations is served; list some to have their runner access checked"));
    }
  }
  return results;
}
