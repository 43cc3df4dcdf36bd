/**
 * Issue 13: no source file over 400 lines. A file that grows past it holds more than one job; split it by what its
 * parts do (as src/config/entry-schemas.ts and src/controller/observations.ts were split out) rather than raise this.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const MAX_LINES = 400;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe("source files", () => {
  it(`are at most ${MAX_LINES} lines each, under src/`, () => {
    const files = sources(join(root, "src"));
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .map((f) => ({ file: relative(root, f), lines: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long).toEqual([]);
  });
});
