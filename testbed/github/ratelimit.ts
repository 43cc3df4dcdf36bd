/**
 * Primary and secondary rate limits, as "Rate limits for the REST API" (docs.github.com/en/rest/using-the-rest-api/
 * rate-limits-for-the-rest-api) describes them:
 * - primary: a number of requests per hour per installation (or user); every answer carries x-ratelimit-limit,
 *   -remaining, -used, -reset (epoch seconds) and -resource; when spent, 403 or 429 with x-ratelimit-remaining 0.
 * - secondary: at most 100 concurrent requests; at most 900 points a minute on a single REST endpoint (GET 1 point,
 *   POST/PATCH/PUT/DELETE 5); content creation about 80 a minute and 500 an hour. Answered 403 or 429, with a
 *   `retry-after` header (seconds) and the message "You have exceeded a secondary rate limit".
 * All windows run on the shared clock.
 */
import type { GitHubLimits } from "./types.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

export const SECONDARY_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ";
export const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";

interface Bucket {
  limit: number;
  used: number;
  resetAt: number;
}

export interface PrimaryHeaders {
  "x-ratelimit-limit": string;
  "x-ratelimit-remaining": string;
  "x-ratelimit-reset": string;
  "x-ratelimit-used": string;
  "x-ratelimit-resource": string;
}

export type LimitVerdict =
  | { kind: "ok" }
  | { kind: "primary" }
  | { kind: "secondary"; retryAfterS: number; why: "concurrency" | "points" | "content" };

/** A sliding window of (time, amount) entries. */
class Window {
  private entries: { at: number; n: number }[] = [];
  constructor(private readonly spanMs: number) {}
  total(now: number): number {
    this.entries = this.entries.filter((e) => e.at > now - this.spanMs);
    return this.entries.reduce((s, e) => s + e.n, 0);
  }
  add(now: number, n: number): void {
    this.entries.push({ at: now, n });
  }
  /** Clock ms until `needed` units have left the window. */
  waitFor(now: number, needed: number): number {
    let freed = 0;
    for (const e of this.entries) {
      freed += e.n;
      if (freed >= needed) return Math.max(0, e.at + this.spanMs - now);
    }
    return this.spanMs;
  }
}

export class RateLimiter {
  private readonly primary = new Map<string, Bucket>();
  private readonly points = new Map<string, Window>();
  private readonly contentMin = new Map<string, Window>();
  private readonly contentHour = new Map<string, Window>();
  private readonly inFlight = new Map<string, number>();

  constructor(private limits: GitHubLimits) {}

  setLimits(limits: GitHubLimits): void {
    this.limits = limits;
    for (const b of this.primary.values()) b.limit = limits.primaryPerHour;
  }

  get config(): GitHubLimits {
    return this.limits;
  }

  private bucket(actor: string, now: number): Bucket {
    let b = this.primary.get(actor);
    // GitHub's window starts with the first request and resets an hour later.
    if (!b || b.resetAt <= now) {
      b = { limit: this.limits.primaryPerHour, used: 0, resetAt: now + HOUR };
      this.primary.set(actor, b);
    }
    return b;
  }

  headers(actor: string, now: number, resource = "core"): PrimaryHeaders {
    const b = this.bucket(actor, now);
    return {
      "x-ratelimit-limit": String(b.limit),
      "x-ratelimit-remaining": String(Math.max(0, b.limit - b.used)),
      "x-ratelimit-reset": String(Math.ceil(b.resetAt / 1000)),
      "x-ratelimit-used": String(b.used),
      "x-ratelimit-resource": resource,
    };
  }

  /** Takes a request slot; call `release` when the answer is sent. Checks limits in GitHub's order of severity. */
  admit(actor: string, endpoint: string, method: string, creates: boolean, now: number): LimitVerdict {
    const inflight = this.inFlight.get(actor) ?? 0;
    if (inflight >= this.limits.maxConcurrent) {
      // GitHub gives no figure for this retry-after; a second is enough for a concurrency spike to pass.
      return { kind: "secondary", retryAfterS: 1, why: "concurrency" };
    }
    const b = this.bucket(actor, now);
    if (b.used >= b.limit) return { kind: "primary" };
    const cost = ["GET", "HEAD", "OPTIONS"].includes(method) ? this.limits.readCost : this.limits.writeCost;
    const key = `${actor} ${method} ${endpoint}`;
    let w = this.points.get(key);
    if (!w) this.points.set(key, (w = new Window(MINUTE)));
    const spent = w.total(now);
    if (spent + cost > this.limits.pointsPerMinute) {
      const waitMs = w.waitFor(now, spent + cost - this.limits.pointsPerMinute);
      return { kind: "secondary", retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)), why: "points" };
    }
    if (creates) {
      const c = this.content(actor, now);
      if (c) return c;
    }
    w.add(now, cost);
    b.used++;
    this.inFlight.set(actor, inflight + 1);
    return { kind: "ok" };
  }

  private content(actor: string, now: number): LimitVerdict | null {
    const checks: [Map<string, Window>, number, number][] = [
      [this.contentMin, this.limits.contentCreationPerMinute, MINUTE],
      [this.contentHour, this.limits.contentCreationPerHour, HOUR],
    ];
    for (const [map, limit, span] of checks) {
      if (limit <= 0) continue;
      let w = map.get(actor);
      if (!w) map.set(actor, (w = new Window(span)));
      if (w.total(now) + 1 > limit) {
        return { kind: "secondary", retryAfterS: Math.max(1, Math.ceil(w.waitFor(now, 1) / 1000)), why: "content" };
      }
    }
    for (const [map, limit, span] of checks) {
      if (limit <= 0) continue;
      let w = map.get(actor);
      if (!w) map.set(actor, (w = new Window(span)));
      w.add(now, 1);
    }
    return null;
  }

  release(actor: string): void {
    const n = this.inFlight.get(actor) ?? 0;
    if (n <= 1) this.inFlight.delete(actor);
    else this.inFlight.set(actor, n - 1);
  }
}
