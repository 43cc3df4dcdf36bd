/**
 * The dashboard at / and its JSON API (GET /api/state), on the operator listener. The page polls the API every 2 s;
 * the API reads the store through the port, so any store behind tornade serves it.
 */
import type { Context } from "hono";
import { DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS } from "../dashboard/assets.js";
import { ceilingsOf } from "../config/index.js";
import { pricesOf, priceNotes } from "../cost/prices.js";
import { readDashboard } from "../dashboard/state.js";
import type { RouteModule } from "./context.js";

export const mountDashboard: RouteModule = (app, ctx) => {
  const prices = pricesOf(ctx.config);
  const notes = priceNotes(ctx.config, prices);
  const ceilings = ceilingsOf(ctx.config);
  const asset = (c: Context, body: string, type: string) =>
    c.body(body, 200, { "content-type": type, "content-security-policy": DASHBOARD_CSP, "x-content-type-options": "nosniff", "cache-control": "no-cache" });
  app.get("/", (c) => asset(c, DASHBOARD_HTML, "text/html; charset=utf-8"));
  app.get("/dashboard/app.js", (c) => asset(c, DASHBOARD_JS, "text/javascript; charset=utf-8"));
  app.get("/dashboard/style.css", (c) => asset(c, DASHBOARD_CSS, "text/css; charset=utf-8"));
  app.get("/api/state", async (c) => {
    const view = await readDashboard({
      store: ctx.built.store,
      queueDepth: () => ctx.built.queue.depth(),
      now: () => ctx.clock.now(),
      sandbox: ctx.config.sandbox,
      clockSpeed: ctx.clock.speed,
      prices,
      priceNotes: notes,
      ceilings,
    });
    return c.json(view, 200, { "cache-control": "no-store" });
  });
};
