/**
 * `tornade serve --sandbox` (npm start): the real controller against the in-process test bed, the seed workflow
 * queued, and a banner with both URLs, the webhook secret and a line that posts a held-back delivery by hand.
 */
import type { Config } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import { sandboxBanner, sandboxWarning } from "../sandbox/banner.js";
import { preparePoke } from "../sandbox/poke.js";
import { EXIT_OK, type CliIo } from "./io.js";
import { untilSignal } from "./signals.js";

export async function serveSandbox(config: Config, speed: number, logger: Logger, io: CliIo): Promise<number> {
  io.stderr(sandboxWarning(speed));
  const { startSandbox } = await loadSandbox();
  const sandbox = await startSandbox({ speed, logger, port: config.server.port, adminPort: config.admin.port, launchLabel: config.launchLabel });
  const delivery = await preparePoke(sandbox);
  io.stderr(
    sandboxBanner({
      speed,
      eventsUrl: sandbox.tornade.url,
      dashboardUrl: sandbox.tornade.adminUrl,
      setupCode: sandbox.setupCode,
      webhookSecret: sandbox.bed.github.webhookSecret,
      delivery,
    }),
  );
  await sandbox.queueSeedWorkflow();
  await untilSignal(logger);
  await sandbox.close();
  await delivery.remove();
  return EXIT_OK;
}

/**
 * The sandbox and its test bed load only here, on demand: production starts never pay for them, and the controller's
 * container image leaves the test bed out.
 */
async function loadSandbox(): Promise<typeof import("../sandbox/sandbox.js")> {
  try {
    return await import("../sandbox/sandbox.js");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new Error(
      "this installation has no sandbox (the controller's container image leaves the test bed out). " +
        "Fix: run the sandbox from the npm package or a clone (npx tornade serve --sandbox), or configure tornade",
    );
  }
}
