/** `tornade serve --setup`: no GitHub credentials yet, so only the setup wizard, on the operator listener. */
import { systemClock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import { runSetup, SetupRefused } from "../server/setup-server.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";
import { untilSignal } from "./signals.js";

/** `serve --setup`: the wizard alone on the operator listener, its one-time code on the console (never in the log). */
export async function serveSetup(config: Config, logger: Logger, io: CliIo): Promise<number> {
  let running;
  try {
    running = await runSetup(config, { clock: systemClock, logger });
  } catch (err) {
    if (err instanceof SetupRefused) {
      io.stderr(`tornade serve --setup: ${err.message}\n`);
      return EXIT_FAILED;
    }
    throw err;
  }
  io.stderr(
    `\n  tornade setup wizard: open ${running.url}/setup\n` +
      `  setup code: ${running.code}   (the first page asks for it; valid until the App is created)\n` +
      `  the App's credentials will be written to ${running.credentialsPath} (mode 0600)\n\n`,
  );
  void running.done.then(() =>
    io.stderr(`\n  credentials written to ${running.credentialsPath}. Stop this process and run: TORNADE_CONFIG=${running.credentialsPath} tornade serve\n\n`),
  );
  await untilSignal(logger);
  await running.close();
  return EXIT_OK;
}
