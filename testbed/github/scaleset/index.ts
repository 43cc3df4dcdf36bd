/**
 * The simulated runner scale set service, as GitHub's public Go client (github.com/actions/scaleset) calls it:
 * registration exchange, runner groups, scale sets, message sessions, the message queue, acquirejobs, JIT configs and
 * runner removal. It lives on the GitHub sim's port and shares its state: a scale set's jobs are the sim's jobs, its
 * runners the sim's runners (the simulated runner takes a scale set's JIT config like any other). See
 * docs/testbed.md, "Runner scale sets".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "../context.js";
import type { SimResponseInfo } from "../types.js";
import { ScaleSetBroker } from "./broker.js";
import { createScaleSetControl, type ScaleSetControl } from "./control.js";
import { messageRoutes } from "./message-routes.js";
import { registrationRoute } from "./registration.js";
import { adminRoutes } from "./routes.js";
import { createScaleSetService } from "./service.js";
import type { ScaleSetOptions } from "./types.js";

export { addScaleSetControlRoutes, type ScaleSetControl, type ScaleSetView } from "./control.js";
export type { ScaleSetJobView } from "./jobs.js";
export type { AssignmentMode, ScaleSetOptions } from "./types.js";
export { DEFAULT_SCALE_SET_OPTIONS } from "./types.js";
export { SERVICE_PREFIX } from "./broker.js";

export interface ScaleSetService {
  /** Answers the request when it is the service's (returns true), else leaves it to the REST handler. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  control: ScaleSetControl;
  close(): void;
}

export function startScaleSetService(ctx: SimContext, options: Partial<ScaleSetOptions> = {}, onResponse?: (r: SimResponseInfo) => void): ScaleSetService {
  const broker = new ScaleSetBroker(ctx, options);
  const routes = [registrationRoute(ctx, broker), ...adminRoutes(ctx, broker), ...messageRoutes(broker)];
  return {
    serve: createScaleSetService(ctx, broker, routes, onResponse),
    control: createScaleSetControl(ctx, broker),
    close: () => broker.close(),
  };
}
