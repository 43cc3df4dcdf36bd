/**
 * A request that got no answer at all — the name did not resolve, nothing listened, the network or a timeout cut it
 * off — told apart from one the server answered with an error. Both GitHub's client (fetch: undici) and the AWS SDK
 * (node:http) report it as a Node.js error with a `code`, wrapped in one or more `cause`s (Octokit: RequestError →
 * TypeError "fetch failed" → the socket's error) or, for a host with several addresses, an AggregateError. Pure: it
 * reads an error value; the codes are Node's ("Common system errors", https://nodejs.org/api/errors.html) and
 * undici's (UND_ERR_*); a timeout may instead be a TimeoutError by name (AbortSignal.timeout, the AWS SDK).
 */

export type NetworkFailureKind = "dns" | "refused" | "timeout" | "connection" | "tls";

export interface NetworkFailure {
  readonly kind: NetworkFailureKind;
  /** Node's or undici's code, e.g. ECONNREFUSED; "TimeoutError" for a timeout known by name only. */
  readonly code: string;
  /** In words, with the code: "connection refused (ECONNREFUSED)". */
  readonly text: string;
}

const KINDS: Readonly<Record<string, NetworkFailureKind>> = {
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_NONAME: "dns",
  EAI_FAIL: "dns",
  ECONNREFUSED: "refused",
  ETIMEDOUT: "timeout",
  ESOCKETTIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  ECONNRESET: "connection",
  ECONNABORTED: "connection",
  EPIPE: "connection",
  EHOSTUNREACH: "connection",
  EHOSTDOWN: "connection",
  ENETUNREACH: "connection",
  ENETDOWN: "connection",
  UND_ERR_SOCKET: "connection",
  UND_ERR_CLOSED: "connection",
  CERT_HAS_EXPIRED: "tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls",
  SELF_SIGNED_CERT_IN_CHAIN: "tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "tls",
  ERR_TLS_CERT_ALTNAME_INVALID: "tls",
};

const WORDS: Readonly<Record<NetworkFailureKind, string>> = {
  dns: "the host name did not resolve",
  refused: "connection refused",
  timeout: "timed out",
  connection: "the connection failed",
  tls: "its TLS certificate was not accepted",
};

/** The network failure somewhere in `e`'s causes, or undefined when `e` is not one (e.g. an HTTP error answer). */
export function networkFailure(e: unknown): NetworkFailure | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length > 0) {
    const x = queue.shift();
    if (typeof x !== "object" || x === null || seen.has(x)) continue;
    seen.add(x);
    const { code, name, cause, errors } = x as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    const kind = typeof code === "string" ? KINDS[code] : undefined;
    if (kind && typeof code === "string") return { kind, code, text: `${WORDS[kind]} (${code})` };
    if (name === "TimeoutError") return { kind: "timeout", code: "TimeoutError", text: `${WORDS.timeout} (TimeoutError)` };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return undefined;
}
