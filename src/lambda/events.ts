/**
 * Events function on EventBridge: AWS tells us a runner's task or build changed state, so no one polls per job.
 * The provider of the event's backend reads it into a launch state (Provider.takeEvent, the mapping its describe
 * uses, deleting the JIT parameter of a runner that stopped without reading it, as describe does), and the controller
 * takes it in as any observation (takeIn): the launch is found by its task ARN or build id,
 * updated as the tracker's round would, and its job gets a look. It is wired with no GitHub client and reads no
 * secret (wiring.ts wireEvents): the worker acts on the look.
 */
import type { LaunchState } from "../providers/provider.js";
import { eventsServices, type EventsServices } from "./wiring.js";

export type EventBridgeEvent = { readonly "detail-type"?: unknown; readonly source?: unknown; readonly detail?: unknown };
export type EventsResult = { outcome: "updated" | "unchanged" | "not-ours" | "ignored"; jobId?: number };

export function eventsHandler(s: Pick<EventsServices, "providers" | "takeIn" | "logger">): (event: EventBridgeEvent) => Promise<EventsResult> {
  // FARGATE and FARGATE_SPOT share one provider.
  const providers = [...new Set(s.providers.values())];
  return async (event) => {
    let state: LaunchState | undefined;
    // Each provider reads only its own kind of event; the one that reads it also deletes a JIT parameter it left unread.
    for (const p of providers) state ??= await p.takeEvent(event);
    if (!state) {
      s.logger.warn({ detailType: String(event["detail-type"]), source: String(event.source) }, "event ignored: not an ECS task or CodeBuild build state change");
      return { outcome: "ignored" };
    }
    const outcome = await s.takeIn({ kind: "runner", state });
    switch (outcome.kind) {
      case "runner-updated":
        return { outcome: "updated", jobId: outcome.jobId };
      case "runner-unchanged":
        return outcome.jobId === undefined ? { outcome: "unchanged" } : { outcome: "unchanged", jobId: outcome.jobId };
      case "not-ours":
        return { outcome: "not-ours" };
    }
  };
}

export const handler = async (event: EventBridgeEvent): Promise<EventsResult> => eventsHandler(await eventsServices())(event);
