#!/usr/bin/env node
// npm run build: compile src/ and testbed/ to dist/ (tsconfig.build.json), copy the files the compiled code reads at
// run time, and bundle the AWS Lambda handlers into dist/lambda-bundle/ (what @tornade/cdk deploys). Plain
// JavaScript, so it needs nothing but the TypeScript compiler and esbuild (dev dependencies).
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

/** Files the compiled modules read beside themselves (readFileSync(new URL("./…", import.meta.url))). */
const ASSETS = ["src/dashboard/assets", "testbed/aws/models", "testbed/github/scaleset/client-types.json"];

/** The serverless handlers (src/lambda/NAME.ts, each exporting `handler`); a function's handler is `NAME.handler`. */
const LAMBDA_HANDLERS = ["webhook", "worker", "events", "sweep"];

// A clean build: a source deleted since the last build must not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (result.status !== 0) {
  console.error("build: the TypeScript compiler failed (see above)");
  process.exit(result.status ?? 1);
}
for (const asset of ASSETS) cpSync(join(root, asset), join(dist, asset), { recursive: true });
await vendorZod();

/**
 * What the Lambda bundle and the CLI's share: ES modules for Node, code shared between entries split into chunks
 * (loaded only by the entries that import it), minified, with maps back through the compiled files' own maps to
 * src/*.ts for `--enable-source-maps` stack traces (without the sources' text, which would double the package for
 * nothing a stack trace shows).
 */
const NODE_BUNDLE = {
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // The oldest Node tornade supports, so the bundles also load where tests run them; production runs Node 24.
  target: "node20",
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  // A package's ES modules before its CommonJS build (esbuild's default for Node is the reverse): the AWS SDK's
  // clients ship both, and only the ES modules can be tree-shaken, so a client brings the commands tornade sends
  // rather than all of them (serve's chunks: 2.5 MB → 1.7 MB of code).
  mainFields: ["module", "main"],
  // ESM output still meets CommonJS dependencies (pino, the AWS SDK's internals) that call require().
  banner: { js: "import { createRequire as __tornadeRequire } from 'node:module'; const require = __tornadeRequire(import.meta.url);" },
  // better-sqlite3 (the embedded store) and yaml (configuration files) are in no bundle: they are loaded through
  // createRequire (src/store/sqlite-driver.ts, src/config/data-file.ts), which esbuild leaves alone, and only when a
  // database is opened or a YAML file read; better-sqlite3 is a native module in any case.
  logLevel: "warning",
};

// The Lambda handlers, bundled once here rather than on every user's machine at synth: what a deploy runs is exactly
// what this build produced and the package tests loaded, and `cdk synth` needs neither esbuild nor Docker. One folder
// for all four (one CDK asset, uploaded once). Nothing external: the AWS SDK is bundled at the versions tornade is
// tested with, not the runtime's copy.
await build({
  ...NODE_BUNDLE,
  entryPoints: LAMBDA_HANDLERS.map((name) => join(dist, "src/lambda", `${name}.js`)),
  outdir: join(dist, "lambda-bundle"),
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
});

await bundleCli();

/**
 * zod 4 is some 230 ES modules, and every tornade command loads it (the configuration is parsed with it). Loaded one
 * module at a time they cost ~65 ms of each start and ~8 MB of RSS more than the same code as one file (Node 20,
 * `import("zod")` against an esbuild bundle of it: 96–133 ms and 53.8 MB against 65–70 ms and 46.1 MB). So the compiled
 * modules import one bundle of the pinned zod, dist/src/vendor/zod.js, instead of the package; the declarations
 * (.d.ts) still name "zod", whose types are the same code. Everything else stays the package's own files.
 */
async function vendorZod() {
  const vendored = join(dist, "src/vendor/zod.js");
  await build({
    stdin: { contents: 'export { z } from "zod";', resolveDir: root, loader: "js" },
    outfile: vendored,
    bundle: true,
    format: "esm",
    platform: "node",
    // zod's `locales` namespace re-exports its ~60 languages' error messages (~250 kB of source), and a namespace is
    // kept whole. tornade speaks English and never picks a locale: zod's default, `en` (which zod imports on its own),
    // is all it uses, so `locales` holds just that one here.
    plugins: [
      {
        name: "zod-english-only",
        setup(b) {
          b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => {
            const index = resolve(args.resolveDir, args.path);
            if (!index.includes(`${sep}node_modules${sep}zod${sep}`)) return undefined;
            return { path: index, namespace: "zod-locales" };
          });
          b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
            contents: 'export { default as en } from "./en.js";',
            resolveDir: dirname(args.path),
            loader: "js",
          }));
        },
      },
    ],
    target: "node20",
    legalComments: "eof",
    logLevel: "warning",
  });
  for (const file of compiledModules(dist)) {
    const text = readFileSync(file, "utf8");
    if (!text.includes('from "zod";')) continue;
    const to = relative(dirname(file), vendored).replaceAll("\\", "/");
    writeFileSync(file, text.replaceAll('from "zod";', `from "${to.startsWith(".") ? to : `./${to}`}";`));
  }
}

/**
 * The `tornade` command (bin/tornade.js runs dist/cli/main.mjs), bundled from the compiled modules the same way.
 * Loaded as ~700 files from dist/src and node_modules, an idle `tornade serve` took 119.5 MB of RSS on Node 24; as
 * these chunks, ~99–100 MB (docs/performance.md, "The RSS peak on Node 24"): fewer module records, minified
 * sources (V8 keeps them in memory for lazy compilation), and only the AWS SDK commands tornade sends. Each command
 * stays a chunk of its own, loaded on demand. The test bed is never bundled: the sandbox's chunks import it from
 * dist/testbed/ (which the controller's image leaves out, so that import fails there with the sandbox's own message,
 * src/cli/serve-sandbox.ts).
 */
async function bundleCli() {
  const outdir = join(dist, "cli");
  const testbed = join(dist, "testbed");
  await build({
    ...NODE_BUNDLE,
    entryPoints: [join(dist, "src/cli/main.js")],
    outdir,
    outExtension: { ".js": ".mjs" },
    // Beside the entry: a module's `new URL("./assets/…", import.meta.url)` then means dist/cli/assets wherever
    // esbuild put it.
    chunkNames: "[name]-[hash]",
    // Function names kept, so a stack trace in the logs names tornade's functions without the maps, for ~2 MB of RSS
    // (`minify` would rename them, and `minifyIdentifiers: false` beside it does not stop it).
    minify: false,
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [
      {
        name: "testbed-stays-outside",
        setup(b) {
          b.onResolve({ filter: /testbed\// }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            if (!target.startsWith(testbed)) return undefined;
            const to = relative(outdir, target).replaceAll("\\", "/");
            return { path: to.startsWith(".") ? to : `./${to}`, external: true };
          });
        },
      },
    ],
  });
  cpSync(join(root, "src/dashboard/assets"), join(outdir, "assets"), { recursive: true });
}

/** Every compiled .js module under `dir`. */
function compiledModules(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".js"))
    .map((e) => join(e.parentPath, e.name));
}
