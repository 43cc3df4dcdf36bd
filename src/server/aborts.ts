/**
 * Requests their clients abandoned mid-body. One is nothing to act on, and a flood of them (a scanner, a client
 * trickling bodies until the request timeout cuts it off) must not become a flood of error lines: each is counted
 * (the `aborted` webhook outcome in /metrics), and the log gets at most one warning a minute saying how many.
 */
import type { Logger } from "../log/logger.js";

/**
 * The body read failed because the connection closed before the body arrived: @hono/node-server rejects it with
 * Node's "aborted" error (code ECONNRESET), and Node's IncomingMessage says `aborted`. Both must hold, so a failure
 * of tornade's own while the client happens to be gone is still an error.
 */
export function isClientAbort(err: unknown, env: unknown): boolean {
  const incoming = typeof env === "object" && env !== null ? (env as { incoming?: { aborted?: unknown } }).incoming : undefined;
  return incoming?.aborted === true && err instanceof Error && err.message === "aborted" && (err as NodeJS.ErrnoException).code === "ECONNRESET";
}

export const ABORT_WARNING_INTERVAL_MS = 60_000;

/** Returns the function to call per aborted request. `now` is real time: this paces log lines, not the controller. */
export function abortWarner(logger: Logger, intervalMs = ABORT_WARNING_INTERVAL_MS, now: () => number = () => performance.now()): (path: string) => void {
  let warnedAt = -Infinity;
  let since = 0;
  return (path) => {
    since++;
    const t = now();
    if (t - warnedAt < intervalMs) return;
    logger.warn({ path, aborted: since, intervalSeconds: intervalMs / 1000 }, "requests aborted by their clients before the body arrived (counted in /metrics; at most one such line a minute)");
    warnedAt = t;
    since = 0;
  };
}
