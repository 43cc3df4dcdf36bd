/**
 * The GitHub App manifest tornade asks GitHub to create, and where to send it. Pure: no I/O.
 *
 * Source: docs.github.com, "Registering a GitHub App from a manifest". The browser POSTs a form field `manifest`
 * (this JSON) to https://github.com/settings/apps/new (personal account) or
 * https://github.com/organizations/ORG/settings/apps/new (organization), with `?state=` for CSRF protection. After the
 * person confirms, GitHub redirects to `redirect_url?code=...&state=...`; the code is exchanged within one hour at
 * POST /app-manifests/{code}/conversions for the App's id, private key (pem) and webhook secret.
 */
export type RunnerScope = "repo" | "org";

export interface ManifestRequest {
  /** Where GitHub reaches this tornade's public listener (its /events), e.g. https://tornade.example.com. */
  readonly publicUrl: string;
  /** Where the operator's browser reaches the wizard (the operator listener), e.g. http://127.0.0.1:9090. */
  readonly redirectBase: string;
  readonly appName: string;
  readonly scope: RunnerScope;
}

export interface AppManifest {
  readonly name: string;
  readonly url: string;
  readonly description: string;
  readonly hook_attributes: { readonly url: string; readonly active: boolean };
  readonly redirect_url: string;
  readonly public: boolean;
  readonly default_permissions: Readonly<Record<string, "read" | "write">>;
  readonly default_events: readonly string[];
}

/**
 * What tornade needs and nothing more ("Permissions required for GitHub Apps"):
 * - actions: read — list a repository's queued jobs when the sweeper re-reads GitHub;
 * - administration: write — create repository runners (POST /repos/{o}/{r}/actions/runners/generate-jitconfig), or
 *   organization_self_hosted_runners: write for organization runners (POST /orgs/{org}/actions/runners/generate-jitconfig);
 * - checks: write — report a job tornade will not serve as a check run with its reason;
 * - metadata: read — every App has it; GitHub adds it anyway.
 * The only event is workflow_job ("Webhook events and payloads" → workflow_job).
 */
export function permissionsFor(scope: RunnerScope): Record<string, "read" | "write"> {
  const runners: Record<string, "write"> = scope === "org" ? { organization_self_hosted_runners: "write" } : { administration: "write" };
  return { actions: "read", ...runners, checks: "write", metadata: "read" };
}

export function buildManifest(req: ManifestRequest): AppManifest {
  const base = req.publicUrl.replace(/\/+$/, "");
  return {
    name: req.appName,
    url: base,
    description: "tornade: one ephemeral self-hosted runner per GitHub Actions job, on AWS Fargate, Fargate Spot or CodeBuild.",
    hook_attributes: { url: `${base}/events`, active: true },
    redirect_url: `${req.redirectBase.replace(/\/+$/, "")}/setup/callback`,
    public: false,
    default_permissions: permissionsFor(req.scope),
    default_events: ["workflow_job"],
  };
}

/**
 * GitHub's web host for an API base URL: api.github.com → github.com; GitHub Enterprise Server's https://HOST/api/v3
 * → https://HOST ("REST API endpoints" for GHES); anything else (the test bed serves both on one host) is its origin.
 */
export function githubWebUrl(apiBaseUrl: string): string {
  const u = new URL(apiBaseUrl);
  if (u.hostname === "api.github.com") return `${u.protocol}//github.com`;
  const path = u.pathname.replace(/\/+$/, "");
  return `${u.origin}${path.endsWith("/api/v3") ? path.slice(0, -"/api/v3".length) : path}`;
}

/** The form's action: the personal or the organization "new App" page, carrying the CSRF state. */
export function manifestFormAction(webUrl: string, org: string | null, state: string): string {
  const page = org === null ? "/settings/apps/new" : `/organizations/${encodeURIComponent(org)}/settings/apps/new`;
  return `${webUrl}${page}?state=${encodeURIComponent(state)}`;
}

/** GitHub logins: letters, digits and single hyphens, at most 39 characters, not starting or ending with a hyphen. */
export const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
/** GitHub App names are at most 34 characters ("Registering a GitHub App" → GitHub App name). */
export const APP_NAME_MAX = 34;
