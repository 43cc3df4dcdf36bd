/**
 * A reader for the Prometheus text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/),
 * enough for tests and tools to look up one sample: `name{label="value",...} number`. Comments (# HELP, # TYPE) are
 * skipped; label values are unescaped (\\, \", \n).
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    const v = m[3] as string;
    out.push({ name: m[1] as string, labels, value: v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v) });
  }
  return out;
}

/** The samples named `name` whose labels include every pair of `match`. */
export function samples(all: readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the matching samples' values (0 when none match). */
export function total(all: readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  return samples(all, name, match).reduce((a, s) => a + s.value, 0);
}
