#!/usr/bin/env node
// `tornade serve` from dist/src (tsc's output, one file per module) instead of the dist/cli bundle that bin/tornade.js
// runs: the same code, for CPU profiles that name src/store, @smithy/core and the rest instead of the bundle's chunks
// (`node bin/run-ts.js bench/profile.ts --bin bench/unbundled-bin.mjs`; run `npm run build` first).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { applyServeV8Flags } = await import(new URL("../dist/src/config/node-options.js", import.meta.url).href);
applyServeV8Flags();
await import(new URL("../dist/src/cli/main.js", import.meta.url).href);
