/** Which intakes a configuration turns on (docs/scale-sets.md, "Webhooks, scale sets, or both"). */
import type { Config } from "./schema.js";

export interface Intakes {
  /** The public POST /events route and the sweeper's re-reading of the App's deliveries. */
  readonly webhooks: boolean;
  /** The scale set listeners: outbound message sessions, no inbound at all. */
  readonly scaleSets: boolean;
}

/** `intake` as set, or by default both when scale sets are configured and webhooks alone otherwise. */
export function intakesOf(config: Pick<Config, "intake" | "scaleSets">): Intakes {
  const intake = config.intake ?? (config.scaleSets.sets.length > 0 ? "both" : "webhooks");
  return { webhooks: intake !== "scale-sets", scaleSets: intake !== "webhooks" };
}
