/**
 * Test support: whether a text holds any piece of a secret. A leak need not be the whole secret (a truncated log line,
 * a prefix in an error message, a value split across fields), so every `window`-character slice of the secret is
 * looked for. 16 base64 characters are 96 bits: no chance match.
 */
export function leakedFragment(text: string, secret: string, window = 16): string | undefined {
  if (secret.length < window) return text.includes(secret) ? secret : undefined;
  const pieces = new Set<string>();
  for (let i = 0; i + window <= secret.length; i++) pieces.add(secret.slice(i, i + window));
  for (let i = 0; i + window <= text.length; i++) {
    const piece = text.slice(i, i + window);
    if (pieces.has(piece)) return piece;
  }
  return undefined;
}
