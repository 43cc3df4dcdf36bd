/**
 * The routes a session's message queue token opens (session_client.go): the long poll on `messageQueueUrl`, the
 * acknowledgement (DELETE of the message), and `acquirejobs`.
 *
 * The poll must say how many runners the listener can run (X-ScaleSetMaxCapacity, a non-negative integer; the client
 * never sends a negative one) and may say which message it processed last (`lastMessageId`). It answers 200 with one
 * RunnerScaleSetJobMessages message, or 202 with no body once `pollWaitMs` passed with nothing to deliver.
 */
import type { Res } from "../http.js";
import type { ScaleSetBroker } from "./broker.js";
import type { ServiceReq, ServiceRoute } from "./service.js";
import { exception, JOB_MESSAGES } from "./wire.js";

const RSS = "/_apis/runtime/runnerscalesets";
export const MAX_CAPACITY_HEADER = "x-scalesetmaxcapacity";

export function messageRoutes(broker: ScaleSetBroker): ServiceRoute[] {
  const session = (req: ServiceReq) => {
    if (req.who.kind !== "queue") throw new Error("a message route was reached without its session's token");
    return req.who;
  };
  const nonNegative = (v: string | null | undefined): number | null => (v !== null && v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : null);

  return [
    {
      method: "GET",
      template: `${RSS}/{scaleSetId}/messages`,
      auth: "queue",
      async handler(req): Promise<Res> {
        const { set, session: s, token } = session(req);
        const raw = req.headers[MAX_CAPACITY_HEADER];
        const capacity = nonNegative(Array.isArray(raw) ? raw[0] : raw);
        if (capacity === null) return exception(400, "ArgumentException", `The X-ScaleSetMaxCapacity header must be the scale set's maximum runner count (an integer ≥ 0); got ${JSON.stringify(raw ?? null)}.`);
        const lastParam = req.query.get("lastMessageId");
        const last = lastParam === null ? 0 : nonNegative(lastParam);
        if (last === null) return exception(400, "ArgumentException", `lastMessageId must be a message id (an integer ≥ 0); got ${JSON.stringify(lastParam)}.`);
        const m = await broker.poll(set, s, last, capacity, req.closed);
        // A fault: the message was handed (it counts as delivered and stays until deleted), its answer never arrives.
        if (m && broker.answerLost?.({ scaleSetId: set.id, messageId: m.id, deliveries: m.deliveries })) {
          return exception(502, "BadGatewayException", `The answer handing message ${m.id} was lost on its way (a test bed fault); the message stays until deleted.`);
        }
        if (m) return { status: 200, body: { messageId: m.id, messageType: JOB_MESSAGES, body: JSON.stringify(m.messages), statistics: broker.jobs.statistics(set) } };
        // Nothing came: a session ended or a token expired meanwhile is told so, so the client refreshes at once.
        if (!broker.sessionOfToken(set, token)) return exception(401, "VssUnauthorizedException", "The message queue token expired, or the session ended, while the poll was held.");
        return { status: 202 };
      },
    },
    {
      method: "DELETE",
      template: `${RSS}/{scaleSetId}/messages/{messageId}`,
      auth: "queue",
      handler(req) {
        const { set } = session(req);
        const id = nonNegative(req.params["messageId"]);
        if (id === null || broker.deleteMessage(set, id) === "unknown") return exception(404, "MessageNotFoundException", `Message ${req.params["messageId"]} was never delivered on runner scale set ${set.name}.`);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      template: `${RSS}/{scaleSetId}/acquirejobs`,
      auth: "queue",
      handler(req) {
        const { set } = session(req);
        const value = broker.jobs.acquire(set, req.body as number[]);
        return { status: 200, body: { count: value.length, value } };
      },
    },
  ];
}
