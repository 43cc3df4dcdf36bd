#!/usr/bin/env node
// npm run build (and npm pack) in infra/: compile the construct (lib/) to dist/, JavaScript with declarations.
// It imports tornade's compiled package for its types and checks, so tornade is built first (npm run build at the
// repository's root).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
// A clean build: a source deleted since the last build must not live on in dist/.
rmSync(join(here, "dist"), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", join(here, "tsconfig.build.json")], { stdio: "inherit" });
if (result.status !== 0) {
  console.error("build: the TypeScript compiler failed (see above)");
  process.exit(result.status ?? 1);
}
