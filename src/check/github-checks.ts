/**
 * `tornade check`, GitHub side: the App's credentials (its JWT is accepted, a token can be minted for every
 * installation, with the permissions tornade needs) and access to the repositories / organizations it serves.
 * Every call is a read, except minting installation tokens, which is what tornade does anyway. Tokens are never
 * printed.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import { createGitHubClients, type GitHubOctokit } from "../github/auth.js";
import { errorText, fail, pass, skip, type CheckResult } from "./result.js";

interface Installation {
  readonly id: number;
  readonly account: string;
}

/**
 * Permissions tornade's App asks for (docs/operations.md): Actions read (jobs, runs), Administration write for
 * repository runners or Self-hosted runners write (`organization_self_hosted_runners`) for organization runners
 * ("Permissions required for GitHub Apps" → "Self-hosted runners",
 * https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
 */
function missingPermissions(scope: "repo" | "org", granted: Readonly<Record<string, string>>): string[] {
  const need: Array<[string, "read" | "write"]> = [["actions", "read"], scope === "org" ? ["organization_self_hosted_runners", "write"] : ["administration", "write"]];
  return need.filter(([k, level]) => !(granted[k] === "write" || (level === "read" && granted[k] === "read"))).map(([k, level]) => `${k}: ${level}`);
}

export async function checkGitHub(config: Config, clock: Clock): Promise<CheckResult[]> {
  const g = config.github;
  const results: CheckResult[] = [];
  const auth = g.appId !== undefined && g.privateKey !== undefined
    ? { kind: "app" as const, appId: g.appId, privateKeyPem: g.privateKey }
    : g.personalToken !== undefined ? { kind: "token" as const, token: g.personalToken } : undefined;
  if (!auth) return [fail("github: credentials", "none configured", "set APP_ID and SECRET_KEY_PEM (a GitHub App), or PERSONAL_TOKEN")];
  const clients = createGitHubClients({ auth, baseUrl: g.baseUrl, clock, maxRateLimitRetries: 0, maxServerErrorRetries: 1, writeSpacingMs: 0 });
  const scope = g.runnerScope;

  let installations: Installation[] = [];
  const app = clients.forApp();
  if (app) {
    try {
      const me = await app.request("GET /app");
      results.push(pass("github: App credentials", `App ${String(me.data?.slug ?? g.appId)} (id ${g.appId}) accepts tornade's JWT`));
    } catch (e) {
      results.push(
        fail(
          "github: App credentials",
          `GitHub refused the App's JWT (${errorText(e)})`,
          `check that APP_ID (${g.appId}) is the App's ID and SECRET_KEY_PEM its current private key (App settings → Private keys → Generate); check the machine's clock`,
        ),
      );
      return results;
    }
    try {
      const res = await app.request("GET /app/installations", { per_page: 100 });
      installations = res.data.map((i) => ({ id: i.id, account: accountLogin(i.account) ?? String(i.id) }));
    } catch (e) {
      results.push(fail("github: installations", `cannot list them (${errorText(e)})`, "check the App's credentials and GitHub's status"));
      return results;
    }
    if (installations.length === 0) {
      results.push(fail("github: installations", "the App is installed nowhere", "install the App on your organization or repositories (App settings → Install App)"));
      return results;
    }
    for (const inst of installations) results.push(await mintToken(app, inst, scope));
  } else {
    results.push(skip("github: App credentials", "a personal access token is configured; a GitHub App is recommended"));
  }

  results.push(...(await checkAccess(config, installations, (id) => clients.forInstallation(id), app)));
  return results;
}

/** An installation's account is a user or organization (login) or an enterprise (slug). */
function accountLogin(account: unknown): string | undefined {
  if (typeof account !== "object" || account === null) return undefined;
  const a = account as Record<string, unknown>;
  return typeof a["login"] === "string" ? a["login"] : typeof a["slug"] === "string" ? a["slug"] : undefined;
}

type Target = { readonly kind: "repo"; readonly owner: string; readonly repo: string } | { readonly kind: "org"; readonly org: string };

async function mintToken(app: GitHubOctokit, inst: Installation, scope: "repo" | "org"): Promise<CheckResult> {
  const name = `github: installation ${inst.id} (${inst.account}) token`;
  try {
    const res = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: inst.id });
    const granted = (res.data.permissions ?? {}) as Record<string, string>;
    const missing = missingPermissions(scope, granted);
    if (missing.length) {
      return fail(name, `a token was minted but lacks ${missing.join(", ")}`, `grant the App these permissions (App settings → Permissions), then accept them on the installation`);
    }
    return pass(name, `minted; repositories: ${String(res.data.repository_selection ?? "?")}; permissions fit ${scope} runners`);
  } catch (e) {
    return fail(name, `cannot mint a token (${errorText(e)})`, "check the installation is not suspended, and the App's private key");
  }
}

/** The configured repositories and organizations (or, when none are, every installation's account). */
async function checkAccess(
  config: Config,
  installations: readonly Installation[],
  forInstallation: (id: number | undefined) => GitHubOctokit,
  app: GitHubOctokit | undefined,
): Promise<CheckResult[]> {
  const g = config.github;
  const results: CheckResult[] = [];
  const installationOf = async (t: Target): Promise<number | undefined> => {
    if (!app) return undefined;
    const res = t.kind === "repo"
      ? await app.request("GET /repos/{owner}/{repo}/installation", { owner: t.owner, repo: t.repo })
      : await app.request("GET /orgs/{org}/installation", { org: t.org });
    return res.data.id;
  };
  const runnersOf = async (name: string, installationId: number | undefined, t: Target) => {
    try {
      const octokit = forInstallation(installationId);
      const res = t.kind === "repo"
        ? await octokit.request("GET /repos/{owner}/{repo}/actions/runners", { owner: t.owner, repo: t.repo, per_page: 1 })
        : await octokit.request("GET /orgs/{org}/actions/runners", { org: t.org, per_page: 1 });
      results.push(pass(name, `runners readable (${res.data.total_count} registered)`));
    } catch (e) {
      results.push(
        fail(
          name,
          `cannot read its self-hosted runners (${errorText(e)})`,
          t.kind === "org" ? "give the App \"Self-hosted runners: write\" on the organization" : "give the App \"Administration: write\" and install it on this repository",
        ),
      );
    }
  };

  for (const full of g.allowedRepositories) {
    const [owner = "", repo = ""] = full.split("/");
    const name = `github: repository ${full}`;
    let id: number | undefined;
    try {
      id = await installationOf({ kind: "repo", owner, repo });
    } catch (e) {
      results.push(fail(name, `the App is not installed on it (${errorText(e)})`, `install the App on ${full}, or remove it from allowedRepositories`));
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
      results.push(fail(name, `the App is not installed on it (${errorText(e)})`, `install the App on ${org}, or remove it from allowedOrganizations`));
      continue;
    }
    if (g.runnerScope === "org") await runnersOf(name, id, { kind: "org", org });
    else results.push(pass(name, `the App is installed (installation ${id ?? "?"}); repository runners are checked per repository`));
  }
  if (g.allowedRepositories.length === 0 && g.allowedOrganizations.length === 0) {
    if (g.runnerScope === "org") {
      for (const inst of installations) await runnersOf(`github: organization ${inst.account}`, inst.id, { kind: "org", org: inst.account });
    } else {
      results.push(skip("github: repositories", "none configured (allowedRepositories): every repository of the installations is served; list some to have their runner access checked"));
    }
  }
  return results;
}
