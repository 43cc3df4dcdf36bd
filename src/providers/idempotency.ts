import { createHash } from "node:crypto";

/**
 * AWS idempotency tokens accept printable ASCII (33–126) only; ECS RunTask's clientToken takes up to 64 characters
 * (ECS API Reference, RunTask `clientToken`; "Ensuring idempotency"). A key that fits is passed through unchanged,
 * so it stays readable in CloudTrail; any other key becomes its SHA-256 in hex (64 characters): same key, same token.
 */
export function awsIdempotencyToken(key: string, maxLength = 64): string {
  if (key.length > 0 && key.length <= maxLength && /^[\x21-\x7e]+$/.test(key)) return key;
  return createHash("sha256").update(key).digest("hex").slice(0, maxLength);
}
