/**
 * What GitHub last said about our rate limits, per installation (or "app" for JWT calls, "token" for a PAT).
 * Parsed from the `x-ratelimit-*` headers GitHub puts on every REST answer
 * ("Rate limits for the REST API" → "Checking the status of your rate limit",
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api). Costs no API call.
 */
export interface RateLimitObservation {
  /** The installation id, "app" (App JWT calls) or "token" (personal access token). */
  readonly key: string;
  /** `x-ratelimit-resource`, e.g. "core". */
  readonly resource: string;
  readonly limit: number;
  readonly remaining: number;
  readonly used: number;
  /** When the window resets, epoch ms (GitHub sends epoch seconds). */
  readonly resetAt: number;
  /** When we saw it, epoch ms of the client's clock. */
  readonly observedAt: number;
}

type Headers = Readonly<Record<string, string | number | undefined>>;

export class RateLimitTracker {
  private readonly latest = new Map<string, RateLimitObservation>();

  constructor(private readonly now: () => number) {}

  /** Records the headers of one answer; answers without rate-limit headers are ignored. */
  observe(key: string, headers: Headers | undefined): void {
    if (!headers) return;
    const limit = num(headers["x-ratelimit-limit"]);
    const remaining = num(headers["x-ratelimit-remaining"]);
    const reset = num(headers["x-ratelimit-reset"]);
    if (limit === undefined || remaining === undefined || reset === undefined) return;
    const resource = String(headers["x-ratelimit-resource"] ?? "core");
    const used = num(headers["x-ratelimit-used"]) ?? limit - remaining;
    const obs: RateLimitObservation = {
      key,
      resource,
      limit,
      remaining,
      used,
      resetAt: reset * 1000,
      observedAt: this.now(),
    };
    this.latest.set(`${key}\u0000${resource}`, obs);
  }

  /** The latest observation per key and resource, for metrics and pacing. */
  snapshot(): RateLimitObservation[] {
    return [...this.latest.values()];
  }
}

function num(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
