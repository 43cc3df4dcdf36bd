/**
 * The operator listener's app: the dashboard at /, its JSON API, /metrics and (in setup mode or the sandbox) /setup,
 * every route behind the admin guard. Never mounted on the public listener (docs/security.md, "Listeners").
 */
import { Hono } from "hono";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import { adminGuard, type AdminAccess } from "./admin-guard.js";

export interface AdminAppDeps {
  readonly access: AdminAccess;
  readonly logger: Logger;
  /** The route sets to mount (dashboard, metrics, setup wizard). */
  readonly mount: readonly ((app: Hono) => void)[];
}

export function adminAccessOf(config: Config): AdminAccess {
  // listener-checks.ts refuses a non-loopback address without a token, so no token here means loopback.
  return config.admin.token === undefined ? { kind: "loopback" } : { kind: "token", token: config.admin.token };
}

export function createAdminApp(deps: AdminAppDeps): Hono {
  const app = new Hono();
  app.use("*", adminGuard(deps.access));
  for (const mount of deps.mount) mount(app);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    deps.logger.error({ path: c.req.path, err: String(err) }, "operator request failed");
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
