/** What operator-facing routes (metrics, dashboard, setup) may read: the running controller and its configuration. */
import type { Hono } from "hono";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Built } from "../controller/build.js";
import type { Logger } from "../log/logger.js";

export interface ServerContext {
  readonly config: Config;
  readonly built: Built;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A set of routes mounted on the app once the controller is built. */
export type RouteModule = (app: Hono, ctx: ServerContext) => void;
