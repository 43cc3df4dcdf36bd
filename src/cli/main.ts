/** Entry point of the `tornade` command (bin/tornade.js imports this). The dispatcher lives in dispatch.ts. */
import { runCli } from "./dispatch.js";
import { processIo } from "./io.js";

// exitCode, not process.exit(): lets stdout drain, and lets `serve` keep the process alive.
process.exitCode = await runCli(process.argv.slice(2), processIo());
