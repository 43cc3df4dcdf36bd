/**
 * The setup wizard's one-time code: printed on tornade's console when the wizard starts, asked for by its first
 * page, so only someone who can read that console (the operator) can start creating an App. 16 characters of a
 * 32-letter alphabet are 80 bits: not guessable over HTTP. Valid until the wizard has written credentials or the
 * process ends.
 */
import { randomInt } from "node:crypto";

// Crockford's base32: no I, L, O or U, so a code read off a terminal is typed back right.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** "XXXX-XXXX-XXXX-XXXX". */
export function newSetupCode(): string {
  const chars = Array.from({ length: 16 }, () => ALPHABET[randomInt(ALPHABET.length)]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

/** The form of a code that is compared: case, spaces and hyphens do not matter. */
export function normalSetupCode(s: string): string {
  return s.toUpperCase().replace(/[\s-]/g, "");
}
