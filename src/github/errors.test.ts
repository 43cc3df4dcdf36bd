import { describe, expect, it } from "vitest";
import { GitHubError, toGitHubError } from "./errors.js";
import { RateLimitTracker } from "./rate-limits.js";

function httpError(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), { status, response: { headers, data: { message } } });
}

describe("toGitHubError", () => {
  it.each([
    [409, "Already exists - A runner with the name already exists.", "conflict"],
    [404, "Not Found", "not-found"],
    [410, "Gone", "not-found"],
    [401, "Bad credentials", "unauthorized"],
    [403, "Resource not accessible by integration", "forbidden"],
    [422, "Validation Failed", "invalid"],
    [400, "Problems parsing JSON", "invalid"],
    [500, "Server Error", "transient"],
    [502, "Bad Gateway", "transient"],
  ] as const)("maps %i to %s and keeps GitHub's message", (status, message, kind) => {
    const e = toGitHubError(httpError(status, message), "op");
    expect(e).toBeInstanceOf(GitHubError);
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.message).toBe(message);
    expect(e.details.operation).toBe("op");
  });

  it("recognises the secondary limit by GitHub's message and keeps retry-after", () => {
    const e = toGitHubError(
      httpError(403, "You have exceeded a secondary rate limit. Please wait a few minutes", { "retry-after": "30" }),
      undefined,
      () => 1_000_000,
    );
    expect(e.kind).toBe("rate-limited");
    expect(e.retryable).toBe(true);
    expect(e.details.retryAt).toBe(1_000_000 + 30_000);
  });

  it("recognises the primary limit by x-ratelimit-remaining 0 and keeps the reset time", () => {
    const e = toGitHubError(httpError(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000" }));
    expect(e.kind).toBe("rate-limited");
    expect(e.details.retryAt).toBe(1_700_000_000_000);
  });

  it("tells a request that got no answer (refused, DNS, timeout) as unreachable, with Node's code, and retryable", () => {
    const socket = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    // What Octokit throws when fetch fails: status 500, no response, the fetch TypeError as the cause.
    const octokitError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { status: 500, cause: new TypeError("fetch failed", { cause: socket }) });
    const e = toGitHubError(octokitError, "GET /app");
    expect(e.kind).toBe("unreachable");
    expect(e.status).toBe(0);
    expect(e.retryable).toBe(true);
    expect(e.details.network).toEqual({ kind: "refused", code: "ECONNREFUSED", text: "connection refused (ECONNREFUSED)" });
    expect(e.message).toBe("cannot reach GitHub: connection refused (ECONNREFUSED)");
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND x.invalid"), { code: "ENOTFOUND" });
    expect(toGitHubError(new TypeError("fetch failed", { cause: dns })).details.network?.kind).toBe("dns");
  });

  it("says when a 403 is a missing permission (GitHub: Resource not accessible by integration)", () => {
    expect(toGitHubError(httpError(403, "Resource not accessible by integration")).lacksPermission).toBe(true);
    expect(toGitHubError(httpError(403, "This installation has been suspended")).lacksPermission).toBe(false);
    expect(toGitHubError(httpError(404, "Not Found")).lacksPermission).toBe(false);
  });

  it("treats a failure without an HTTP answer as transient", () => {
    expect(toGitHubError(new TypeError("fetch failed")).kind).toBe("transient");
    expect(toGitHubError("boom").kind).toBe("transient");
  });
});

describe("RateLimitTracker", () => {
  it("keeps the latest observation per key and resource, ignoring answers without the headers", () => {
    const t = new RateLimitTracker(() => 42);
    t.observe("7", { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": "100", "x-ratelimit-used": "1", "x-ratelimit-resource": "core" });
    t.observe("7", { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4990", "x-ratelimit-reset": "100", "x-ratelimit-used": "10", "x-ratelimit-resource": "core" });
    t.observe("7", { etag: "x" });
    t.observe("app", undefined);
    expect(t.snapshot()).toEqual([
      { key: "7", resource: "core", limit: 5000, remaining: 4990, used: 10, resetAt: 100_000, observedAt: 42 },
    ]);
  });
});
