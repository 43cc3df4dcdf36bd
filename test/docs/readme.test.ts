// The README's configuration reference is generated from the table loadConfig reads; this fails when they drift.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { withReference } from "../../scripts/config-reference.js";

describe("README", () => {
  it("carries the current configuration reference (run: node bin/run-ts.js scripts/config-reference.ts --write)", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    expect(readme).toBe(withReference(readme));
  });

  it("gives the two Quick start commands", () => {
    const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");
    expect(readme).toMatch(/npm ci && npm start/);
    expect(readme).toMatch(/^npm test/m);
  });
});
