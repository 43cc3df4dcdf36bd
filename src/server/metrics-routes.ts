/**
 * GET /metrics in Prometheus text format: counters fed by the ControllerObserver, gauges read from the running
 * tornade at scrape time (src/metrics/metrics.ts lists every metric; docs/operations.md explains them).
 */
import type { ControllerObserver } from "../controller/observer.js";
import { pricesOf } from "../cost/prices.js";
import { readDashboard } from "../dashboard/state.js";
import { createTornadeMetrics } from "../metrics/metrics.js";
import type { RouteModule } from "./context.js";

export interface Metrics {
  /** Passed to the controller at build time. */
  readonly observer: ControllerObserver;
  readonly mount: RouteModule;
}

export function createMetrics(): Metrics {
  const metrics = createTornadeMetrics();
  return {
    observer: metrics.observer,
    mount: (app, ctx) => {
      const { store, queue, github, controller } = ctx.built;
      metrics.setSource({
        countJobsByStatus: () => store.countJobsByStatus(),
        queueDepth: () => queue.depth(),
        rateLimits: () => github.rateLimits(),
        launchWaiting: () => controller.launcher.waiting(),
        // The dashboard's own view, so that the page and the gauges never disagree.
        standbys: async () => {
          const view = await readDashboard({ store, queueDepth: () => queue.depth(), now: () => ctx.clock.now(), sandbox: ctx.config.sandbox, prices: pricesOf(ctx.config) });
          return { standbys: view.standbys, runnerUsd: view.cost.awsUsd };
        },
      });
      app.get("/metrics", async (c) => {
        const { contentType, body } = await metrics.scrape();
        return c.body(body, 200, { "content-type": contentType });
      });
    },
  };
}
