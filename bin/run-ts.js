#!/usr/bin/env node
// Runs a TypeScript entry point of this package (path relative to the package root) through tsx,
// resolved from this file so it works from any working directory.
import { register } from "tsx/esm/api";
import { pathToFileURL } from "node:url";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error("usage: run-ts.js <entry.ts> [args...]");
  process.exit(2);
}
process.argv = [process.argv[0], resolve(root, entry), ...rest];
// The AWS SDK's 8-line Node 20 notice on every script: the same switch as bin/tornade.js.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
await import(pathToFileURL(resolve(root, entry)).href);
