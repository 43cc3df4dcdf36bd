/**
 * Retries of a call that failed transiently — 5xx, no answer, a rate limit — with exponential backoff in clock time,
 * a bounded number of times, and cancellable: an aborted signal ends the wait at once. The public client retries every
 * request 4 times, waiting at most 30 s between tries (common_client.go: go-retryablehttp, retryMax 4, retryWaitMax
 * 30 s); these are the defaults here.
 */
import type { Clock } from "../../clock/clock.js";
import { retryDelay } from "../../core/reconcile.js";
import type { Logger } from "../auth.js";
import { abortedError, ScaleSetError } from "./errors.js";

export interface RetryPolicy {
  /** Tries after the first. */
  readonly retries: number;
  /** First wait (clock ms); it doubles per try, with jitter, up to maxMs. */
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, baseMs: 1_000, maxMs: 30_000 };

export interface RetryContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: RetryPolicy;
  /** Fields for the retry log line (never a secret). */
  readonly about?: Readonly<Record<string, unknown>>;
}

/**
 * `attempt()` until it succeeds, fails for good, or the tries are spent (the last error then says how many there
 * were). `alsoRetry` admits failures that are not transient by kind but are worth a few more tries for this call.
 */
export async function retrying<T>(
  operation: string,
  attempt: () => Promise<T>,
  ctx: RetryContext,
  signal?: AbortSignal,
  alsoRetry: (e: ScaleSetError) => boolean = () => false,
): Promise<T> {
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw abortedError(operation, signal);
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ScaleSetError) || !(e.retryable || alsoRetry(e))) throw e;
      if (n > ctx.policy.retries) {
        throw n === 1 ? e : new ScaleSetError(e.kind, e.status, `${e.message} (gave up after ${n} tries)`, e.details);
      }
      const backoff = retryDelay(n, { retryBaseMs: ctx.policy.baseMs, retryMaxMs: ctx.policy.maxMs });
      const asked = e.details.retryAt === undefined ? 0 : e.details.retryAt - ctx.clock.now();
      const wait = Math.min(ctx.policy.maxMs, Math.max(backoff, asked));
      ctx.logger.warn({ ...ctx.about, operation, status: e.status, kind: e.kind, attempt: n, retryInMs: wait }, "runner scale set call failed; retrying");
      try {
        await ctx.clock.sleep(wait, signal);
      } catch {
        throw abortedError(operation, signal ?? AbortSignal.abort());
      }
    }
  }
}

/** `p`, or a ScaleSetError "aborted" as soon as `signal` fires (p goes on for whoever else waits on it). */
export function abortable<T>(p: Promise<T>, operation: string, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortedError(operation, signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(operation, signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
