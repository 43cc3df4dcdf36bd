/**
 * The production import rule (issue 12, DESIGN "Production is not the sandbox"): nothing a production command loads
 * imports the test bed, a dev dependency or a test helper. Checked on the compiled package (dist/, which `npm test`
 * builds first), where type-only imports are gone and what remains is exactly what Node loads.
 */
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

interface Imports {
  /** Specifiers Node resolves when the module loads. */
  readonly fixed: string[];
  /** `import("…")` with a literal specifier: loaded only when that code runs. */
  readonly lazy: string[];
}

const FIXED = /^\s*(?:import|export)\s(?:[^"';]*?\sfrom\s)?["']([^"']+)["']/gm;
// import("x"), and createRequire(import.meta.url)("x") — a synchronous load on first use (config/data-file.ts: yaml).
const LAZY = /\bimport\(\s*["']([^"']+)["']\s*\)|\bcreateRequire\([^)]*\)\(\s*["']([^"']+)["']\s*\)/g;
// const f = createRequire(import.meta.url); … f("x"): the calls of a require function made once (store/sqlite-driver.ts).
const REQUIRE_FUNCTION = /\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*createRequire\(/g;

function requireCalls(text: string): string[] {
  return [...text.matchAll(REQUIRE_FUNCTION)].flatMap(([, name]) =>
    [...text.matchAll(new RegExp(`\\b${name}\\(\\s*["']([^"']+)["']\\s*\\)`, "g"))].map((m) => m[1] ?? ""),
  );
}

function importsOf(file: string): Imports {
  const text = readFileSync(file, "utf8");
  return { fixed: [...text.matchAll(FIXED)].map((m) => m[1] ?? ""), lazy: [...[...text.matchAll(LAZY)].map((m) => m[1] ?? m[2] ?? ""), ...requireCalls(text)] };
}

const rel = (file: string) => relative(dist, file);
const isRelative = (spec: string) => spec.startsWith("./") || spec.startsWith("../");
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec));
const isBuiltin = (spec: string) => spec.startsWith("node:") || builtinModules.includes(spec);

/**
 * Every module reachable from `entries`, following fixed imports and the lazy ones `followLazy` allows; with, for each,
 * the chain that reached it (for a message that says how a forbidden module got in).
 */
function walk(entries: string[], followLazy: (from: string, to: string) => boolean): { files: Map<string, string[]>; packages: Map<string, string[]> } {
  const files = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  const todo: Array<[string, string[]]> = entries.map((e) => [e, [rel(e)]]);
  while (todo.length > 0) {
    const [file, chain] = todo.pop() as [string, string[]];
    if (files.has(file)) continue;
    files.set(file, chain);
    const { fixed, lazy } = importsOf(file);
    const next = [...fixed.map((s) => [s, false] as const), ...lazy.map((s) => [s, true] as const)];
    for (const [spec, isLazy] of next) {
      if (isBuiltin(spec)) continue;
      if (!isRelative(spec)) {
        if (!packages.has(packageOf(spec))) packages.set(packageOf(spec), [...chain, spec]);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (isLazy && !followLazy(file, target)) continue;
      todo.push([target, [...chain, rel(target)]]);
    }
  }
  return { files, packages };
}

const inDist = (...p: string[]) => join(dist, ...p);
const isSandboxModule = (file: string) => rel(file).startsWith("src/sandbox/") || rel(file) === "src/cli/sandbox.js";

describe("the compiled package", () => {
  it("exists (npm test builds it first; run npm run build)", () => {
    expect(existsSync(inDist("src/cli/main.js")), "dist/src/cli/main.js").toBe(true);
    expect(existsSync(inDist("cli/main.mjs")), "dist/cli/main.mjs").toBe(true);
  });

  const productionEntries = () => [
    inDist("src/cli/main.js"),
    ...["webhook", "worker", "events", "sweep"].map((h) => inDist(`src/lambda/${h}.js`)),
  ];

  it("production commands and the Lambda handlers load no test bed, test helper or dev dependency", () => {
    // Every command but the sandbox's is followed, lazy imports included; the sandbox is loaded only on request.
    const { files, packages } = walk(productionEntries(), (_from, to) => !isSandboxModule(to));
    expect(files.size).toBeGreaterThan(50);
    const forbiddenFiles = [...files].filter(([f]) => !rel(f).startsWith("src/") || /\.test\.|\.contract\.|test-support|test-helpers/.test(rel(f)));
    expect(forbiddenFiles.map(([, chain]) => chain.join(" → "))).toEqual([]);
    const notProduction = [...packages].filter(([p]) => !Object.hasOwn(pkg.dependencies, p));
    expect(notProduction.map(([, chain]) => chain.join(" → "))).toEqual([]);
    // The walk would see the test bed if a production path reached it: the sandbox path proves it can.
    const withSandbox = walk(productionEntries(), () => true);
    expect([...withSandbox.files.keys()].map(rel)).toContain("testbed/index.js");
  });

  it("the whole package (sandbox and test bed included) needs nothing but its production dependencies", () => {
    // `npm install --omit=dev` of the tarball must run the sandbox too.
    const everything = walk([...productionEntries(), inDist("src/cli/sandbox.js")], () => true);
    const missing = [...everything.packages].filter(([p]) => !Object.hasOwn(pkg.dependencies, p));
    expect(missing.map(([, chain]) => chain.join(" → "))).toEqual([]);
  });

  it("loads zod from the one file the build bundles it into, never from its ~230 modules", () => {
    const everything = walk([...productionEntries(), inDist("src/cli/sandbox.js")], () => true);
    expect(everything.packages.has("zod")).toBe(false);
    expect([...everything.files.keys()].map(rel)).toContain("src/vendor/zod.js");
  });

  it("every production dependency is used by the package (none kept only for tests)", () => {
    const everything = walk([...productionEntries(), inDist("src/cli/sandbox.js")], () => true);
    // Type-only packages: named by the published declarations, loaded by nothing. zod's code is loaded from the one
    // file the build bundles it into (dist/src/vendor/zod.js); the declarations (Config, the schemas) name its types.
    const typesOnly = new Set(["@octokit/openapi-types", "@octokit/openapi-webhooks-types", "zod"]);
    const unused = Object.keys(pkg.dependencies).filter((d) => !everything.packages.has(d) && !typesOnly.has(d));
    expect(unused).toEqual([]);
  });

  // bin/tornade.js runs dist/cli/, the build's bundle of the modules walked above (scripts/build.mjs, bundleCli).
  // Everything it needs is inside it but the test bed, which only the sandbox's chunks may import.
  it("the bundled command imports no package and reaches the test bed only from the sandbox's chunks", () => {
    const imports = (file: string) => {
      const text = readFileSync(file, "utf8");
      return { fixed: [...text.matchAll(BUNDLE_FIXED)].map((m) => m[1] ?? ""), lazy: [...text.matchAll(BUNDLE_LAZY)].map((m) => m[1] ?? "") };
    };
    const closure = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const todo = [entry];
      while (todo.length > 0) {
        const file = todo.pop() as string;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const spec of imports(file).fixed) if (isRelative(spec)) todo.push(resolve(dirname(file), spec));
      }
      return seen;
    };
    // Every chunk a command loads on demand (`import("./…")`), from the launcher's entry on, and what each loads at once.
    const main = inDist("cli/main.mjs");
    const lazyEntries = new Set<string>();
    for (const todo = [main]; todo.length > 0; ) {
      for (const file of closure(todo.pop() as string))
        for (const spec of imports(file).lazy) {
          const target = resolve(dirname(file), spec);
          if (!isRelative(spec) || lazyEntries.has(target)) continue;
          lazyEntries.add(target);
          todo.push(target);
        }
    }
    expect(lazyEntries.size).toBeGreaterThan(4);
    const reachesTestBed = (entry: string) => [...closure(entry)].some((f) => !rel(f).startsWith("cli/"));
    expect(reachesTestBed(main)).toBe(false);
    // `tornade sandbox` and the sandbox `serve --sandbox` loads: both named after src/…/sandbox.ts.
    const withTestBed = [...lazyEntries].filter(reachesTestBed).map((f) => rel(f).replace(/-[A-Z0-9]+\.mjs$/, ""));
    expect(withTestBed).toEqual(["cli/sandbox", "cli/sandbox"]);
    expect([...lazyEntries].map(rel)).toEqual(expect.arrayContaining([expect.stringMatching(/^cli\/serve-/)]));
    const everySpec = [main, ...lazyEntries].flatMap((entry) => [...closure(entry)]).filter((f) => rel(f).startsWith("cli/")).flatMap((f) => [...imports(f).fixed, ...imports(f).lazy]);
    expect(everySpec.filter((spec) => !isRelative(spec) && !isBuiltin(spec))).toEqual([]);
  });
});

/** A bundled chunk's imports: esbuild writes them minified (`import{a as b}from"./chunk-X.mjs";`, `import"./x.mjs";`). */
const BUNDLE_FIXED = /(?:^|[;}\s])(?:import|export)\s*(?:[^"';()]*?from\s*)?["']([^"']+)["']/g;
const BUNDLE_LAZY = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
