#!/usr/bin/env node
// The `tornade` command: runs the compiled package (dist/, made by `npm run build`).
import { existsSync } from "node:fs";
import module from "node:module";

// Node 22.1+ keeps compiled code between runs (in the OS temp directory): a CLI start costs far less the second time.
module.enableCompileCache?.();

// On Node 20 the AWS SDK prints an 8-line notice on every start; `tornade serve` says the same in one log line
// (src/cli/serve.ts), so the SDK's own is turned off. The launcher is the one place that may set it: before any module.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const main = new URL("../dist/cli/main.mjs", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("tornade: the compiled package is missing (dist/). Fix: run `npm run build` in the repository.\n");
  process.exit(1);
}
// `serve`'s V8 flags that NODE_OPTIONS refuses, set before anything else loads: V8 sizes the heap's first limits while
// the modules load (src/config/node-options.ts says which flags, and why).
if (process.argv[2] === "serve") {
  const { applyServeV8Flags } = await import(new URL("../dist/src/config/node-options.js", import.meta.url).href);
  applyServeV8Flags();
}
await import(main.href);
