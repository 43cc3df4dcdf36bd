/**
 * How tornade's Octokit instances bound, space and retry their GitHub calls: one request hook, in place of
 * @octokit/plugin-retry and @octokit/plugin-throttling. Both plugins schedule every request through Bottleneck, which
 * yields to the event loop with setTimeout(0) several times per request: against the test bed, the retry plugin added
 * ~5 ms and the throttling plugin ~10 ms to a call that takes ~1 ms, the larger part of a job's path from webhook to
 * RunTask (`node bin/run-ts.js bench/github-call.ts`; docs/performance.md). The plugins' rules are kept:
 *
 * - at most 10 requests in flight per process (the token mint apart, one at a time), as the throttling plugin's
 *   global group; a mutating request (POST, PATCH, PUT, DELETE) starts at least `writeSpacingMs` of clock time after
 *   the previous one started (GitHub's REST best practices; 0: the controller paces its launches itself);
 * - a secondary rate limit (403/429 whose message says so) waits GitHub's retry-after (60 s without one), and a spent
 *   primary limit (x-ratelimit-remaining 0) waits until its reset + 1 s when that is within maxRateLimitWaitSeconds,
 *   each at most maxRateLimitRetries times, said through the logger; otherwise the error goes up and the controller
 *   defers (errors.ts "rate-limited", with retryAt);
 * - any other answer ≥ 400 not in doNotRetry (5xx, a failed connection) is tried again after 1, 4, 9 s: at most
 *   maxServerErrorRetries times;
 * - each try is cut off after requestTimeoutMs of real time: fetch has no deadline of its own but undici's 300 s
 *   headers timeout, so a connection that went silent (a NAT that dropped its state, a proxy that hung) would hold a
 *   worker and an in-flight slot for five minutes. GitHub itself ends a request after 10 s; a try cut off is a failed
 *   connection (Octokit's status 500, errors.ts "unreachable") and is tried again by the rule above.
 * Waits are in clock time: a compressed test clock compresses them too. The cut-off is real time, as the network is.
 */
import type { Octokit } from "@octokit/core";
import type { Clock } from "../clock/clock.js";

export interface CallPolicy {
  readonly maxRateLimitRetries: number;
  readonly maxRateLimitWaitSeconds: number;
  readonly maxServerErrorRetries: number;
  /** Statuses never tried again (a 409 duplicate runner name; 403/429 are the rate limits' business). */
  readonly doNotRetry: readonly number[];
  /** Real-time deadline of one try, from its start to the end of its body. */
  readonly requestTimeoutMs: number;
}

/** What a refused call looks like to the policy: @octokit/request-error's RequestError, or anything thrown. */
interface Refusal {
  readonly status?: number;
  readonly message?: string;
  readonly response?: { readonly headers?: Record<string, string | number | undefined>; readonly data?: unknown };
}

/**
 * What to do after a refusal: try again after `waitMs` of clock time, or give up (the error goes to the caller). A
 * rate limit says how long it asked for even when the call gives up.
 */
export interface Retry {
  readonly again: boolean;
  readonly waitMs: number;
  readonly kind: "secondary" | "primary" | "server" | "none";
}

/** How many times each kind was tried again so far for one call. */
export interface Tries {
  readonly rateLimit: number;
  readonly server: number;
}

/** When GitHub sends no retry-after with a secondary limit: the throttling plugin's fallback, and GitHub's advice. */
const SECONDARY_FALLBACK_SECONDS = 60;

/** The retry rule, pure: the refusal, the tries so far, the policy, and the real time (a primary reset is epoch s). */
export function retryAfter(e: Refusal, tries: Tries, policy: CallPolicy, realNowMs: number): Retry {
  const status = e.status ?? 0;
  if (status === 403 || status === 429) {
    const headers = e.response?.headers ?? {};
    if (/\bsecondary rate\b/i.test(e.message ?? "")) {
      const seconds = Number(headers["retry-after"]) || SECONDARY_FALLBACK_SECONDS;
      return { again: tries.rateLimit < policy.maxRateLimitRetries, waitMs: seconds * 1000, kind: "secondary" };
    }
    if (String(headers["x-ratelimit-remaining"]) === "0") {
      // One second past the reset, as GitHub asks; measured against the real time, as the reset header is.
      const seconds = Math.max(Math.ceil((Number(headers["x-ratelimit-reset"]) * 1000 - realNowMs) / 1000) + 1, 0);
      return { again: tries.rateLimit < policy.maxRateLimitRetries && seconds <= policy.maxRateLimitWaitSeconds, waitMs: seconds * 1000, kind: "primary" };
    }
  }
  if (status >= 400 && !policy.doNotRetry.includes(status) && tries.server < policy.maxServerErrorRetries) {
    return { again: true, waitMs: (tries.server + 1) ** 2 * 1000, kind: "server" };
  }
  return { again: false, waitMs: 0, kind: "none" };
}

/** A counting semaphore without timers: the waiter first in line gets the slot a release frees. */
class Slots {
  private free: number;
  private readonly line: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.line.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.line.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Starts of mutating requests, `spacingMs` of clock time apart (none when 0). */
class WriteSpacing {
  private nextAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly spacingMs: number,
  ) {}

  async turn(): Promise<void> {
    if (this.spacingMs <= 0) return;
    const now = this.clock.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.spacingMs;
    if (at > now) await this.clock.sleep(at - now);
  }
}

/** Told of each rate-limit refusal and whether the call waits it out (auth.ts logs it as the plugins' handlers did). */
export type RateLimitReport = (r: { kind: "secondary" | "primary"; method: string; url: string; retryAfterSeconds: number; retryCount: number; again: boolean }) => void;

/** One process's bounds, shared by all its Octokit instances, as the throttling plugin's groups were. */
export interface CallBounds {
  readonly inFlight: Slots;
  readonly tokenMints: Slots;
  readonly writes: WriteSpacing;
}

/** At most 10 requests in flight, as the throttling plugin's global group (GitHub asks for few concurrent requests). */
const MAX_IN_FLIGHT = 10;

export function callBounds(clock: Clock, writeSpacingMs: number): CallBounds {
  return { inFlight: new Slots(MAX_IN_FLIGHT), tokenMints: new Slots(1), writes: new WriteSpacing(clock, writeSpacingMs) };
}

/** The installation token mint: bounded apart, and never spaced as a write (it is the App authenticating). */
const TOKEN_MINT = /^\/app\/installations\/[^/]+\/access_tokens$/;

type RequestOptions = { method: string; url: string; request?: { signal?: AbortSignal }; [k: string]: unknown };

/**
 * Gives one try its own deadline, joined to the caller's signal when it had one. Set on the call's options in place:
 * before-after-hook binds the inner hooks (auth) to this object, and ignores options passed on to them.
 */
function setDeadline(options: RequestOptions, timeoutMs: number, callerSignal: AbortSignal | undefined): void {
  const deadline = AbortSignal.timeout(timeoutMs);
  options.request = { ...options.request, signal: callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline };
}

/** Installs the policy on one Octokit: every request, including auth-app's token mints, goes through it. */
export function applyCallPolicy(octokit: Octokit, policy: CallPolicy, bounds: CallBounds, clock: Clock, report: RateLimitReport): void {
  octokit.hook.wrap("request", async (request, options) => {
    const opts = options as unknown as RequestOptions;
    const pathname = new URL(opts.url, "http://github.test").pathname;
    const mint = opts.method === "POST" && TOKEN_MINT.test(pathname);
    const write = !mint && opts.method !== "GET" && opts.method !== "HEAD";
    const callerSignal = opts.request?.signal;
    let tries: Tries = { rateLimit: 0, server: 0 };
    for (;;) {
      if (write) await bounds.writes.turn();
      const release = await (mint ? bounds.tokenMints : bounds.inFlight).take();
      try {
        setDeadline(opts, policy.requestTimeoutMs, callerSignal);
        return await request(options);
      } catch (e) {
        const next = retryAfter(e as Refusal, tries, policy, Date.now());
        if (next.kind === "secondary" || next.kind === "primary") {
          report({ kind: next.kind, method: opts.method, url: opts.url, retryAfterSeconds: next.waitMs / 1000, retryCount: tries.rateLimit, again: next.again });
        }
        if (!next.again) throw e;
        release();
        tries = next.kind === "server" ? { ...tries, server: tries.server + 1 } : { ...tries, rateLimit: tries.rateLimit + 1 };
        await clock.sleep(next.waitMs);
      } finally {
        release();
      }
    }
  });
}
