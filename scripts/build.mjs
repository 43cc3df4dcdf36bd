#!/usr/bin/env node
// npm run build: compile src/ and testbed/ to dist/ (tsconfig.build.json) and copy the files the compiled code reads
// at run time. Plain JavaScript, so it needs nothing but the TypeScript compiler (a dev dependency).
import { spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

/** Files the compiled modules read beside themselves (readFileSync(new URL("./…", import.meta.url))). */
const ASSETS = ["src/dashboard/assets", "testbed/aws/models"];

// A clean build: a source deleted since the last build must not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (result.status !== 0) {
  console.error("build: the TypeScript compiler failed (see above)");
  process.exit(result.status ?? 1);
}
for (const asset of ASSETS) cpSync(join(root, asset), join(dist, asset), { recursive: true });
