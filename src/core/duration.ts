/**
 * Durations on the command line ("90m", "12h", "7d", "4w"): `tornade cost --since`, `tornade sandbox --time-limit`,
 * `tornade check --timeout`. One grammar, so every flag that takes a duration reads the same.
 */

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** What a duration flag accepts, for messages. */
export const DURATION_GRAMMAR = "a number and a unit: s, m, h, d or w (e.g. 90s, 30m, 12h, 7d, 4w)";

/** "7d", "12h", "30m", "90s", "1.5h", "0d" → milliseconds (≥ 0); undefined for anything else, negatives included. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Number.isFinite(ms) ? ms : undefined;
}

/** Milliseconds as the largest unit that divides them evenly: 10_800_000 → "3h", 90_000 → "90s", 1_500 → "1.5s". */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m"] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms / 1000}s`;
}
