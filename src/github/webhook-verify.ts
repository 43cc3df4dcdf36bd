import { createHmac, timingSafeEqual } from "node:crypto";

const PREFIX = "sha256=";
const HEX64 = /^[0-9a-f]{64}$/i;

/**
 * Checks GitHub's `X-Hub-Signature-256` header: "sha256=" + hex HMAC-SHA256 of the raw request body, keyed with the
 * webhook secret ("Validating webhook deliveries",
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). The comparison is constant
 * time, as that page asks. Must be given the body bytes exactly as received, before any JSON parsing.
 *
 * Returns false — never throws — on a missing, malformed, wrong-length or non-hex signature, or an empty secret.
 */
export function verifyWebhookSignature(
  secret: string,
  rawBody: Uint8Array | string,
  signature: string | null | undefined,
): boolean {
  if (typeof secret !== "string" || secret.length === 0) return false;
  if (typeof signature !== "string" || !signature.startsWith(PREFIX)) return false;
  const given = signature.slice(PREFIX.length);
  if (!HEX64.test(given)) return false;
  if (typeof rawBody !== "string" && !(rawBody instanceof Uint8Array)) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  const actual = Buffer.from(given, "hex");
  // Both are 32 bytes here (the regex fixed the length), which timingSafeEqual requires.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
