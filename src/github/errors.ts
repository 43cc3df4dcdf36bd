/**
 * GitHub failures as typed errors. Callers branch on `kind`, never on message text; the one place that reads
 * GitHub's words (the secondary-rate-limit message, "Resource not accessible by integration") is here.
 */
import { networkFailure, type NetworkFailure } from "../core/network-errors.js";

export type GitHubErrorKind =
  | "conflict" // 409: e.g. a runner with this name already exists → reuse or rename
  | "not-found" // 404 / 410
  | "forbidden" // 403 that is not a rate limit: missing permission, re-run refused while the run is in progress
  | "rate-limited" // primary (x-ratelimit-remaining: 0) or secondary limit, after the client's own bounded retries
  | "unauthorized" // 401: bad App key, bad or expired token
  | "invalid" // 400 / 422: GitHub rejected the request's content
  | "unreachable" // no answer: DNS, connection refused or reset, timeout, TLS (details.network says which)
  | "transient"; // 5xx, or a failure without an answer of unknown cause: worth retrying later

export class GitHubError extends Error {
  override readonly name = "GitHubError";
  constructor(
    readonly kind: GitHubErrorKind,
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    message: string,
    readonly details: {
      /** What was being done, e.g. "POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig". */
      readonly operation?: string;
      /** When a rate limit lifts (epoch ms in the clock GitHub's headers speak), if GitHub said. */
      readonly retryAt?: number;
      /** Why no answer came, for "unreachable". */
      readonly network?: NetworkFailure;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }
  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "rate-limited" || this.kind === "unreachable";
  }
  /**
   * A 403 because the App's installation lacks a permission the endpoint needs: GitHub answers "Resource not
   * accessible by integration" ("Permissions required for GitHub Apps",
   * https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps).
   */
  get lacksPermission(): boolean {
    return this.kind === "forbidden" && /not accessible by integration/i.test(this.message);
  }
}

interface HttpErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

function isHttpErrorLike(e: unknown): e is HttpErrorLike {
  return e instanceof Error && typeof (e as { status?: unknown }).status === "number";
}

function header(e: HttpErrorLike, name: string): string | undefined {
  const v = e.response?.headers?.[name];
  return v === undefined ? undefined : String(v);
}

/** GitHub's own message from the JSON error body (`{"message": ...}`), when there is one. */
function githubMessage(e: HttpErrorLike): string | undefined {
  const data = e.response?.data;
  if (typeof data === "object" && data !== null && "message" in data && typeof data.message === "string") {
    return data.message;
  }
  return undefined;
}

/**
 * GitHub answers a secondary rate limit with 403 or 429 and a message containing "secondary rate limit"
 * ("Rate limits for the REST API" → "About secondary rate limits",
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api). The primary limit is 403/429
 * with `x-ratelimit-remaining: 0`.
 */
function isRateLimit(e: HttpErrorLike, text: string): boolean {
  if (e.status !== 403 && e.status !== 429) return false;
  return e.status === 429 || header(e, "x-ratelimit-remaining") === "0" || /secondary rate limit/i.test(text);
}

/** Turns whatever an Octokit call threw into a GitHubError (idempotent on GitHubErrors). */
export function toGitHubError(e: unknown, operation?: string, now: () => number = Date.now): GitHubError {
  if (e instanceof GitHubError) return e;
  const network = networkFailure(e);
  // Octokit reports a request that got no answer as status 500 without a response; the cause says why.
  if (network && !(isHttpErrorLike(e) && e.response)) {
    return new GitHubError("unreachable", 0, `cannot reach GitHub: ${network.text}`, { operation, cause: e, network });
  }
  if (!isHttpErrorLike(e)) {
    const message = e instanceof Error ? e.message : String(e);
    return new GitHubError("transient", 0, `GitHub request failed: ${message}`, { operation, cause: e });
  }
  const text = githubMessage(e) ?? e.message;
  const base = { operation, cause: e };
  if (isRateLimit(e, text)) {
    const retryAfter = Number(header(e, "retry-after"));
    const reset = Number(header(e, "x-ratelimit-reset"));
    const retryAt = Number.isFinite(retryAfter) && retryAfter > 0
      ? now() + retryAfter * 1000
      : Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
    return new GitHubError("rate-limited", e.status, text, { ...base, retryAt });
  }
  const s = e.status;
  // Octokit reports a failed fetch (connection refused, reset) as status 500 without a response.
  if (s >= 500 || s === 0) return new GitHubError("transient", s, text, base);
  if (s === 401) return new GitHubError("unauthorized", s, text, base);
  if (s === 403) return new GitHubError("forbidden", s, text, base);
  if (s === 404 || s === 410) return new GitHubError("not-found", s, text, base);
  if (s === 409) return new GitHubError("conflict", s, text, base);
  if (s === 408) return new GitHubError("transient", s, text, base);
  return new GitHubError("invalid", s, text, base);
}
