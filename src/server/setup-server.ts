/**
 * `tornade serve --setup`: the operator listener alone, serving the setup wizard, for a tornade that has no GitHub
 * credentials yet (there is nothing to verify webhooks with, so the public listener stays closed). Refused once
 * credentials are configured: a running tornade's App cannot be replaced through the browser.
 */
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import { adminAccessOf, createAdminApp } from "./admin-app.js";
import { listenAdmin } from "./listeners.js";
import { createSetupWizard, hasGitHubCredentials, type SetupWizardOptions } from "./setup-routes.js";

export interface RunningSetup {
  /** The operator listener, as reached from this machine. */
  readonly url: string;
  /** The one-time setup code: print it on the console, never in the log. */
  readonly code: string;
  readonly credentialsPath: string;
  /** Resolves once the wizard has written the credentials. */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

export class SetupRefused extends Error {
  override readonly name = "SetupRefused";
}

export async function runSetup(config: Config, opts: { clock: Clock; logger: Logger } & Pick<SetupWizardOptions, "fetch" | "credentialsPath">): Promise<RunningSetup> {
  if (hasGitHubCredentials(config)) {
    throw new SetupRefused(
      "GitHub credentials are already configured (APP_ID / SECRET_KEY_PEM or PERSONAL_TOKEN); the setup wizard runs only without them. Fix: run `tornade serve` without --setup, or remove the credentials to create a new App",
    );
  }
  const wizard = createSetupWizard({ config, ...opts });
  const access = adminAccessOf(config);
  const app = createAdminApp({ access, logger: opts.logger, mount: [(a) => a.get("/", (c) => c.redirect("/setup")), wizard.mount] });
  const admin = await listenAdmin(app, config);
  opts.logger.info({ admin: admin.address, adminAuth: access.kind === "token" ? "bearer token" : "loopback only", file: wizard.credentialsPath }, "setup wizard listening at /setup");
  return { url: admin.url, code: wizard.code, credentialsPath: wizard.credentialsPath, done: wizard.done, close: () => admin.close() };
}
