/** The retry rule of tornade's GitHub calls (call-policy.ts), on plain values; the hook itself: octokit-github.test.ts. */
import { describe, expect, it } from "vitest";
import { retryAfter, type CallPolicy } from "./call-policy.js";

const policy: CallPolicy = { maxRateLimitRetries: 3, maxRateLimitWaitSeconds: 60, maxServerErrorRetries: 3, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451], requestTimeoutMs: 30_000 };
const fresh = { rateLimit: 0, server: 0 };
const NOW = 1_800_000_000_000;
const secondary = (headers: Record<string, string> = {}) => ({ status: 403, message: "You have exceeded a secondary rate limit.", response: { headers } });
const primary = (resetInSeconds: number, status = 403) => ({
  status,
  message: "API rate limit exceeded",
  response: { headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + resetInSeconds) } },
});

describe("retryAfter", () => {
  it.each([
    ["secondary limit: GitHub's retry-after", secondary({ "retry-after": "7" }), fresh, { again: true, waitMs: 7_000, kind: "secondary" }],
    ["secondary limit without retry-after: 60 s", secondary(), fresh, { again: true, waitMs: 60_000, kind: "secondary" }],
    ["secondary limit, retries spent", secondary({ "retry-after": "7" }), { rateLimit: 3, server: 0 }, { again: false, waitMs: 7_000, kind: "secondary" }],
    ["primary limit: until the reset + 1 s", primary(29), fresh, { again: true, waitMs: 30_000, kind: "primary" }],
    ["primary limit as 429", primary(29, 429), fresh, { again: true, waitMs: 30_000, kind: "primary" }],
    ["primary limit too far off: up to the caller", primary(600), fresh, { again: false, waitMs: 601_000, kind: "primary" }],
    ["primary limit, retries spent", primary(5), { rateLimit: 3, server: 0 }, { again: false, waitMs: 6_000, kind: "primary" }],
    ["5xx: 1 s", { status: 502 }, fresh, { again: true, waitMs: 1_000, kind: "server" }],
    ["5xx, third try: 9 s", { status: 500 }, { rateLimit: 0, server: 2 }, { again: true, waitMs: 9_000, kind: "server" }],
    ["5xx, retries spent", { status: 503 }, { rateLimit: 0, server: 3 }, { again: false, waitMs: 0, kind: "none" }],
    ["a plain 403 (no permission) is final", { status: 403, message: "Resource not accessible by integration", response: { headers: {} } }, fresh, { again: false, waitMs: 0, kind: "none" }],
    ["409 duplicate runner name is final", { status: 409 }, fresh, { again: false, waitMs: 0, kind: "none" }],
    ["404 is final", { status: 404 }, fresh, { again: false, waitMs: 0, kind: "none" }],
    ["no status at all (not an HTTP answer) is final", new Error("boom"), fresh, { again: false, waitMs: 0, kind: "none" }],
  ])("%s", (_, refusal, tries, expected) => {
    expect(retryAfter(refusal, tries, policy, NOW)).toEqual(expected);
  });
});
