/** Constant-time comparison of a secret someone sent with the one expected (bearer tokens, the setup code). */
import { createHash, timingSafeEqual } from "node:crypto";

/** Digests first, so the comparison takes the same time whatever the lengths (timingSafeEqual needs equal lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
