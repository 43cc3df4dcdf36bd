#!/usr/bin/env node
// Starts bench/io-floor.ts as `tornade serve` is started (bench/world.ts `bin`: `node <bin> serve`): the same V8 flags
// first (bin/tornade.js applies them before loading anything), then the TypeScript through tsx.
import { register } from "tsx/esm/api";

register();
const { applyServeV8Flags } = await import("../src/config/node-options.ts");
applyServeV8Flags();
await import("./io-floor.ts");
