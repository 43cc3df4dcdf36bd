/**
 * The dashboard at / and its JSON API. PLACEHOLDER: the dashboard work (issue "Operator experience") replaces this.
 */
import type { RouteModule } from "./context.js";

export const mountDashboard: RouteModule = () => {};
