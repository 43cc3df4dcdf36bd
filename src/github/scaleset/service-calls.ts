/**
 * Calls on the Actions service, as the admin (scale sets, sessions, runners) or as a message session (polls,
 * acknowledgements, acquirejobs): the URL, `api-version`, the token, retries, and the one renewal of a refused
 * admin token. Shared by the client (client.ts) and its message sessions (session.ts).
 */
import type { Clock } from "../../clock/clock.js";
import type { Logger } from "../auth.js";
import type { z } from "zod";
import type { AdminConnection } from "./admin-connection.js";
import { ScaleSetError } from "./errors.js";
import { retrying, type RetryPolicy } from "./retry.js";
import { exchange, type Answer, type Method } from "./transport.js";

/** Every service call carries it (client.go `newActionsServiceRequest`; the poll in its Accept header). */
export const API_VERSION = "6.0-preview";

export interface CallOptions<S extends z.ZodType> {
  readonly body?: unknown;
  readonly ok: readonly number[];
  readonly schema?: S;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
  /** Real ms; the service's own default otherwise. */
  readonly timeoutMs?: number;
  /** Fields for log lines about this call (never a secret). */
  readonly about?: Readonly<Record<string, unknown>>;
}

export interface ServiceCallsOptions {
  readonly connection: AdminConnection;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
}

export class ServiceCalls {
  constructor(readonly o: ServiceCallsOptions) {}

  get logger(): Logger {
    return this.o.logger;
  }

  /** The URL of a service path (`_apis/...`), with `api-version`. */
  async url(path: string, signal?: AbortSignal): Promise<string> {
    return serviceUrlOf((await this.o.connection.get(signal)).serviceUrl, path);
  }

  /**
   * `method path` with the admin token. A 401 means the service no longer takes the token (revoked, or its clock
   * ahead of ours): the token is renewed once and the call made again.
   */
  async admin<S extends z.ZodType>(operation: string, method: Method, path: string, opts: CallOptions<S>): Promise<Answer<z.output<S>>> {
    for (let renewed = false; ; renewed = true) {
      const { serviceUrl, token } = await this.o.connection.get(opts.signal);
      try {
        return await this.send(operation, method, serviceUrlOf(serviceUrl, path), `Bearer ${token}`, opts);
      } catch (e) {
        if (renewed || !(e instanceof ScaleSetError) || e.kind !== "expired") throw e;
        this.o.logger.info({ ...opts.about, operation }, "the Actions service refused the admin token; renewing it");
        this.o.connection.invalidate(token);
      }
    }
  }

  /** One call with a token of the caller's (a message session's), retried when it fails transiently. */
  send<S extends z.ZodType>(operation: string, method: Method, url: string, authorization: string, opts: CallOptions<S>): Promise<Answer<z.output<S>>> {
    const { clock, logger, retry } = this.o;
    return retrying(
      operation,
      () =>
        exchange(
          {
            operation,
            method,
            url,
            authorization,
            ok: opts.ok,
            timeoutMs: opts.timeoutMs ?? this.o.timeoutMs,
            ...(opts.body === undefined ? {} : { body: opts.body }),
            ...(opts.schema ? { schema: opts.schema } : {}),
            ...(opts.headers ? { headers: opts.headers } : {}),
          },
          () => clock.now(),
          opts.signal,
        ),
      { clock, logger, policy: retry, ...(opts.about ? { about: opts.about } : {}) },
      opts.signal,
    );
  }
}

function serviceUrlOf(serviceUrl: string, path: string): string {
  const u = new URL(path.replace(/^\/+/, ""), serviceUrl);
  if (!u.searchParams.has("api-version")) u.searchParams.set("api-version", API_VERSION);
  return u.toString();
}
