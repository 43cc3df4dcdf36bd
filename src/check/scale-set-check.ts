/**
 * `tornade check`, runner scale sets (docs/scale-sets.md): with the scale-set intake on, that the App can manage the
 * configured scale sets in their scope, as `tornade serve` will at start:
 * 1. the registration exchange — a runner registration token for the scope (REST; it needs Administration: write on
 *    a repository, Self-hosted runners: write on an organization, "Permissions required for GitHub Apps") traded at
 *    `POST /actions/runner-registration` for the Actions service's URL and admin token;
 * 2. the runner group, by name;
 * 3. each scale set, read by name: there (its id), or not yet (tornade serve creates it at start).
 * Read-only but for the registration token, which tornade serve asks for at every start anyway. The shapes of the
 * scale sets (backend, arch, size, image) are resolved as serve resolves them, so a shape it would refuse fails here.
 */
import type { Clock } from "../clock/clock.js";
import { ConfigError, policyOf, type Config } from "../config/index.js";
import { scaleSetSetupOf, type ScaleSetSetup } from "../controller/scale-set-setup.js";
import { createGitHubClients } from "../github/auth.js";
import { GitHubError } from "../github/errors.js";
import { ScaleSetClient, ScaleSetError } from "../github/scaleset/index.js";
import { checkAuthOf, grantFix, permissionName, runnerPermission } from "./github-checks.js";
import { errorText, fail, pass, problemCheck, type CheckResult } from "./result.js";
import { unreachable } from "./unreachable.js";

const SCOPE_SETTINGS = "TORNADE_SCALE_SETS_OWNER, TORNADE_SCALE_SETS_REPO and TORNADE_SCALE_SETS_INSTALLATION_ID (scaleSets.owner, .repo, .installationId)";
const GROUP_SETTING = "TORNADE_SCALE_SETS_RUNNER_GROUP (scaleSets.runnerGroup)";

export async function checkScaleSetAccess(config: Config, clock: Clock, opts: { timeoutMs: number }): Promise<CheckResult[]> {
  let setup: ScaleSetSetup | undefined;
  try {
    setup = scaleSetSetupOf(config, policyOf(config));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => problemCheck(p, "see docs/scale-sets.md"));
  }
  const auth = checkAuthOf(config);
  // No scale-set intake, or no credentials (the GitHub checks say so).
  if (!setup || !auth) return [];
  const { scope } = setup;
  const where = scope.scope === "org" ? scope.owner : `${scope.owner}/${scope.repo}`;
  const client = new ScaleSetClient({
    // No retries: a check reports what it sees, and running it again is the retry.
    github: createGitHubClients({ auth, baseUrl: config.github.baseUrl, clock, maxRateLimitRetries: 0, maxServerErrorRetries: 0, writeSpacingMs: 0 }),
    baseUrl: config.github.baseUrl,
    scope,
    ...(setup.configUrl ? { configUrl: setup.configUrl } : {}),
    clock,
    retry: { retries: 0 },
    requestTimeoutMs: opts.timeoutMs,
  });
  const exchange = `github: scale-set registration in ${where}`;
  const failed = (name: string, e: unknown) => explain(name, e, { where, scope: scope.scope, configUrl: client.configUrl, baseUrl: config.github.baseUrl });

  let groupId: number;
  const accepted = () => pass(exchange, `the Actions service accepted the App's registration token for ${client.configUrl}`);
  try {
    // The group's look-up is the first call to the Actions service: it makes the registration exchange.
    groupId = (await client.runnerGroupByName(setup.runnerGroup)).id;
  } catch (e) {
    if (client.connection.exchanges === 0) return [failed(exchange, e)];
    const name = `github: scale-set runner group ${setup.runnerGroup}`;
    const missing = e instanceof ScaleSetError && e.kind === "not-found";
    const group = missing
      ? fail(name, `${where} has no runner group named "${setup.runnerGroup}"`, `create it (Settings → Actions → Runner groups) or set ${GROUP_SETTING} to an existing group's name ("default" is GitHub's Default group)`)
      : failed(name, e);
    return [accepted(), group];
  }
  const results = [accepted(), pass(`github: scale-set runner group ${setup.runnerGroup}`, `found (id ${groupId})`)];
  for (const target of setup.targets) {
    const name = `github: scale set ${target.name}`;
    try {
      const found = await client.scaleSetByName(groupId, target.name);
      results.push(
        pass(name, found ? `exists (id ${found.id}, labels: ${found.labels.join(", ") || "none"}); tornade serve brings its labels to the configured ones` : `not created yet: tornade serve creates it in runner group ${setup.runnerGroup} at start`),
      );
    } catch (e) {
      results.push(failed(name, e));
    }
  }
  return results;
}

interface Context {
  readonly where: string;
  readonly scope: "repo" | "org";
  readonly configUrl: string;
  readonly baseUrl: string;
}

/** A failure of the exchange or a scale set call, in words naming the fix. */
function explain(name: string, e: unknown, c: Context): CheckResult {
  if (!(e instanceof ScaleSetError)) return fail(name, errorText(e), "run tornade check again; if it persists, report it with the message above");
  const network = e.details.network;
  if (e.kind === "unreachable" && network) return unreachable(name, "GitHub", c.baseUrl, network, "TORNADE_GITHUB_BASE_URL (github.baseUrl)");
  // The registration token is asked through tornade's GitHub client: its failure keeps GitHub's own error.
  const rest = e.details.cause instanceof GitHubError ? e.details.cause : undefined;
  const permission = runnerPermission(c.scope);
  if (rest?.lacksPermission) {
    return fail(
      name,
      `the App lacks ${permissionName(...permission)} on ${c.where}, which creating scale sets and their runners needs (GitHub: ${rest.message})`,
      grantFix([permission]),
    );
  }
  if (rest?.kind === "not-found") {
    return fail(name, `GitHub answers 404 for the runner registration token of ${c.where}: the installation does not cover it, or it does not exist`, `install the App on ${c.where}, or correct ${SCOPE_SETTINGS}`);
  }
  if (rest?.kind === "unauthorized" || e.kind === "unauthorized") {
    return fail(name, `GitHub refused the credentials (${e.message})`, "check APP_ID and SECRET_KEY_PEM (or PERSONAL_TOKEN), and the machine's clock");
  }
  if (!rest && e.status === 404 && e.details.operation === "runner registration exchange") {
    return fail(name, `GitHub refused the config URL ${c.configUrl} for the registration token of ${c.where} (${e.message})`, "set TORNADE_SCALE_SETS_CONFIG_URL (scaleSets.configUrl) to the scope's web URL, e.g. https://github.com/ORG/REPO");
  }
  if (e.kind === "forbidden") return fail(name, `the Actions service refused (${e.message})`, `give the App ${permissionName(...permission)} on ${c.where}; GitHub's runner scale set API is a public preview: check that it is available to ${c.where}`);
  if (e.retryable) return fail(name, `GitHub could not answer (${e.message})`, "run tornade check again; if it persists, see https://www.githubstatus.com (or your GitHub Enterprise Server's health)");
  return fail(name, e.message, "see the message above; docs/scale-sets.md lists what scale sets need");
}
