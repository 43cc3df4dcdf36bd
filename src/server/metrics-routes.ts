/**
 * GET /metrics (Prometheus text format). PLACEHOLDER: the metrics work (issue "Operator experience") replaces this
 * with prom-client counters fed by the ControllerObserver, and gauges read from ctx at scrape time.
 */
import { noopObserver, type ControllerObserver } from "../controller/observer.js";
import type { RouteModule } from "./context.js";

export interface Metrics {
  /** Passed to the controller at build time. */
  readonly observer: ControllerObserver;
  readonly mount: RouteModule;
}

export function createMetrics(): Metrics {
  return { observer: noopObserver, mount: () => {} };
}
