import { verify } from "@octokit/webhooks-methods";

const PREFIX = "sha256=";

/**
 * Checks GitHub's `X-Hub-Signature-256` header ("sha256=" + hex HMAC-SHA256 of the raw request body, keyed with the
 * webhook secret: "Validating webhook deliveries",
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries) through Octokit's own
 * `verify`, which compares in constant time as that page asks. Must be given the body exactly as received, before
 * any JSON parsing.
 *
 * What this adds to the library is the contract the HTTP layers rely on: false — never a throw — on a missing,
 * malformed or wrong signature, an empty secret or body, or values of the wrong type; and hex digits in either case
 * (the library compares the header's text, GitHub sends lower case).
 */
export async function verifyWebhookSignature(
  secret: string,
  rawBody: Uint8Array | string,
  signature: string | null | undefined,
): Promise<boolean> {
  if (typeof secret !== "string" || secret.length === 0) return false;
  if (typeof signature !== "string" || !signature.startsWith(PREFIX)) return false;
  const body = typeof rawBody === "string" ? rawBody : rawBody instanceof Uint8Array ? Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString("utf8") : undefined;
  if (body === undefined) return false;
  try {
    return await verify(secret, body, PREFIX + signature.slice(PREFIX.length).toLowerCase());
  } catch {
    // The library throws a TypeError for an empty secret, body or signature: not a valid delivery either way.
    return false;
  }
}
