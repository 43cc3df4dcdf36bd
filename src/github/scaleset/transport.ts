/**
 * One HTTP exchange with the Actions service (or the registration endpoint), over the platform's fetch: the answer's
 * body validated with zod, every failure a ScaleSetError. Retries are retry.ts's business, tokens the caller's.
 *
 * Each exchange has a real-time timeout: the network runs in real time whatever tornade's clock says. The service
 * holds a poll up to about 50 s; the public client gives every request 5 minutes ("must be > 1m to accommodate long
 * polling", common_client.go). The `Authorization` value is a credential: it goes into the request and nowhere else
 * (no error message or log line carries it, nor the request's headers).
 */
import type { z } from "zod";
import { errorFromAnswer, errorFromThrown, ScaleSetError } from "./errors.js";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Exchange<S extends z.ZodType> {
  /** What is being done, in words, for errors and logs: e.g. "create runner scale set". */
  readonly operation: string;
  readonly method: Method;
  readonly url: string;
  /** The Authorization header's value, e.g. "Bearer …" or "RemoteAuth …". */
  readonly authorization: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The statuses that mean success. A 200 or 201 among them carries a body that `schema` reads; others none. */
  readonly ok: readonly number[];
  readonly schema?: S;
  /** Real milliseconds the exchange may take, answer body included. */
  readonly timeoutMs: number;
}

export interface Answer<T> {
  readonly status: number;
  /** The body read by `schema`, for a 200 or 201; undefined otherwise. */
  readonly value: T | undefined;
}

export const USER_AGENT = "tornade";

/** Sends `x` once. `now` reads tornade's clock (for a rate limit's Retry-After). */
export async function exchange<S extends z.ZodType>(x: Exchange<S>, now: () => number, signal?: AbortSignal): Promise<Answer<z.output<S>>> {
  const timeout = AbortSignal.timeout(x.timeoutMs);
  const cut = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let status: number;
  let text: string;
  let headers: Headers;
  try {
    const res = await fetch(x.url, {
      method: x.method,
      headers: {
        "user-agent": USER_AGENT,
        ...(x.body === undefined ? {} : { "content-type": "application/json" }),
        ...x.headers,
        authorization: x.authorization,
      },
      ...(x.body === undefined ? {} : { body: JSON.stringify(x.body) }),
      signal: cut,
    });
    status = res.status;
    headers = res.headers;
    // The service may start a body with a UTF-8 byte order mark (the public client trims it: trimByteOrderMark).
    text = (await res.text()).replace(/^\uFEFF/, "");
  } catch (e) {
    throw errorFromThrown(x.operation, e, { aborted: signal?.aborted === true, timedOut: timeout.aborted, timeoutMs: x.timeoutMs });
  }
  if (!x.ok.includes(status)) throw errorFromAnswer(x.operation, status, text, headers, now());
  if (status !== 200 && status !== 201) return { status, value: undefined };
  if (!x.schema) return { status, value: undefined };
  return { status, value: read(x.operation, status, text, x.schema) };
}

function read<S extends z.ZodType>(operation: string, status: number, text: string, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    throw new ScaleSetError("protocol", status, `${operation} answered ${status} with a body that is not JSON (${text.length} bytes)`, { operation });
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  // The issues name members and what was wrong with them, never their values (a value may be a token).
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new ScaleSetError("protocol", status, `${operation} answered ${status} with a body this client cannot read: ${issues}`, { operation });
}
