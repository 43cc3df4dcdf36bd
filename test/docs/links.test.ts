// The links and file paths of README.md and docs/*.md: a renamed file or heading that the docs still name breaks a
// reader's way through them, so it breaks here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { codeSpans, headingAnchors, linkTargets } from "../support/markdown.js";

const root = resolve(import.meta.dirname, "../..");
const DOCS = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const read = (file: string) => readFileSync(join(root, file), "utf8");

/** The repository's folders: a code span starting with one of them names a path. */
const IN_REPOSITORY = /^(src|testbed|test|infra|bench|scripts|bin|runner-image|docs)\//;
/** Paths the docs name that a build or a run creates; the repository does not hold them. */
const GENERATED = new Set(["infra/cdk.out/"]);

describe("the docs", () => {
  it.each(DOCS)("%s links only to files and headings that exist", (file) => {
    const broken: string[] = [];
    for (const target of linkTargets(read(file))) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const to = path ? join(dirname(file), path) : file;
      if (!existsSync(join(root, to))) broken.push(`${target}: there is no ${to}`);
      else if (anchor !== undefined && to.endsWith(".md") && !headingAnchors(read(to)).has(anchor)) broken.push(`${target}: ${to} has no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(DOCS)("%s names only paths that exist", (file) => {
    const missing = codeSpans(read(file))
      // Globs and placeholders (`src/providers/*.test.ts`, `bench/results/<date>.json`) name no one file.
      .filter((span) => IN_REPOSITORY.test(span) && !/[*<\s]/.test(span) && !GENERATED.has(span))
      .map((span) => span.replace(/[:#].*$/, ""))
      .filter((path) => !existsSync(join(root, path)));
    expect(missing).toEqual([]);
  });
});
