/**
 * The log's second line of defence: a key that names a secret is written as "[redacted]", at the top level of a
 * line's object and one level down — what pino's `redact` paths `token` and `*.token` did. Secrets are kept out of log
 * lines by never passing them; this catches a mistake.
 *
 * Why not pino's `redact` alone: its wildcard paths (`*.token`) cost more than the rest of the line — a line at info
 * cost 10.3–11.6 µs of CPU with them, 4.4–4.5 with this censor, 4.4 with no redaction at all (`bench/log-line.ts`,
 * Node 24, docs/performance.md "The log line"). It copies nothing unless it censors, and never changes the caller's
 * object. A child logger's bindings, which pino gives to no formatter, are censored at their top level by pino's own
 * redaction of these names (logger.ts), which costs nothing.
 */

import { REDACTED } from "../config/redact.js";

/** Names a secret is held under, anywhere tornade might log one by mistake. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  "token",
  "jitConfig",
  "encodedJitConfig",
  "encoded_jit_config",
  "privateKey",
  "webhookSecret",
  "personalToken",
  "authorization",
]);

/** `o` with every secret-named key, at its top level and in each object value, censored; `o` itself if none is. */
export function censorSecrets<T extends object>(o: T): T {
  let copy: Record<string, unknown> | undefined;
  const source = o as Record<string, unknown>;
  for (const key in source) {
    const value = source[key];
    let censored: unknown;
    if (SECRET_KEYS.has(key)) censored = REDACTED;
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const inner = censorOwnKeys(value);
      if (inner !== value) censored = inner;
    }
    if (censored === undefined) continue;
    copy ??= copyOf(source);
    setOwn(copy, key, censored);
  }
  return (copy ?? o) as T;
}

/** One level only, as `*.key` was: a secret two levels down is not looked for. */
function censorOwnKeys(o: object): object {
  let copy: object | undefined;
  for (const key in o) {
    if (!SECRET_KEYS.has(key)) continue;
    copy ??= copyOf(o);
    setOwn(copy, key, REDACTED);
  }
  return copy ?? o;
}

/** Sets a key of a copy as a plain, enumerable data property, whatever the original's descriptor was (read-only too). */
function setOwn(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A copy that serializes as the original would: same prototype (an Error keeps its type and pino's err serializer,
 * a class its toJSON) and every own property, the non-enumerable ones too (an Error's message and stack). An own
 * accessor becomes its value: on Node 24 an Error's `stack` is one, and its getter reads the original error's internal
 * slot, so on a copy it would answer undefined.
 */
function copyOf<T extends object>(o: T): T {
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(o);
  for (const [key, d] of Object.entries(descriptors)) {
    if (d.get) descriptors[key] = { value: (o as Record<string, unknown>)[key], enumerable: d.enumerable ?? false, writable: true, configurable: true };
  }
  return Object.create(Object.getPrototypeOf(o) as object | null, descriptors) as T;
}
