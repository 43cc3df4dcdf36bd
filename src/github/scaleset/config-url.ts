/**
 * Where the runner scale set exchange starts, derived from tornade's GitHub REST base URL (config `github.baseUrl`)
 * and the runner scope. Pure.
 *
 * GitHub's scale set client (actions/scaleset, config.go) goes the other way: from a "config URL" naming the scope —
 * `https://github.com/ORG` or `https://github.com/ORG/REPO` — it derives the REST root: `api.github.com` for
 * github.com (and `api.SUBDOMAIN.ghe.com` for GitHub Enterprise Cloud with data residency), `https://HOST/api/v3` for
 * any other host (GitHub Enterprise Server). The config URL is also what `POST /actions/runner-registration` must be
 * told, and must name the scope the registration token was issued for.
 */
import type { RunnerScope } from "../github-port.js";

/** The config URL of a scope: the web root of GitHub (not the API root) followed by `/OWNER` or `/OWNER/REPO`. */
export function configUrlOf(restBaseUrl: string, scope: RunnerScope): string {
  const web = webRootOf(restBaseUrl);
  const path = scope.scope === "org" ? scope.owner : `${scope.owner}/${scope.repo}`;
  return `${web}/${path}`;
}

/** `POST {REST root}/actions/runner-registration`: the exchange of a registration token for the service's admin token. */
export function registrationUrlOf(restBaseUrl: string): string {
  return `${restBaseUrl.replace(/\/+$/, "")}/actions/runner-registration`;
}

/** The web root of the GitHub whose REST API is at `restBaseUrl`, without a trailing slash. */
function webRootOf(restBaseUrl: string): string {
  const u = new URL(restBaseUrl);
  const host = u.host.toLowerCase();
  // github.com and GHE.com put the API on a host of its own: api.github.com, api.SUBDOMAIN.ghe.com.
  if (host === "api.github.com") return `${u.protocol}//github.com`;
  if (host.startsWith("api.") && host.endsWith(".ghe.com")) return `${u.protocol}//${u.host.slice("api.".length)}`;
  // GitHub Enterprise Server (and the test bed, laid out like it) serves the API under /api/v3 of the web host.
  const path = u.pathname.replace(/\/+$/, "").replace(/\/api\/v3$/i, "");
  return `${u.protocol}//${u.host}${path}`;
}
