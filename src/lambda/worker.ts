/**
 * Worker function on the SQS event source: each record is "look at job N again". Records are claimed through the
 * SQS queue (coalescing, attempts, dead letters: queue/sqs-queue.ts) and reconciled; failures are reported per
 * record ("Handling errors for an SQS event source" → ReportBatchItemFailures,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html), so one bad job does not send its
 * batch back. The event source mapping must enable FunctionResponseTypes: ["ReportBatchItemFailures"]. Each claimed
 * item is worked on as `tornade serve`'s workers do (controller/worker.ts handleItem, backoff included).
 */
import { handleItem } from "../controller/worker.js";
import { services, type LambdaServices } from "./wiring.js";

/** The members of an SQS event record tornade reads (Lambda Developer Guide, "Using Lambda with Amazon SQS"). */
export interface SqsEventRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string; readonly [k: string]: string | undefined };
  readonly eventSource?: string;
}
export interface SqsEvent {
  readonly Records: readonly SqsEventRecord[];
}
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** The lease a record arrives with: the queue's visibility timeout, which infra sets above the function timeout. */
const LEASE_MS = 15 * 60_000;

export function workerHandler(s: LambdaServices): (event: SqsEvent) => Promise<SqsBatchResponse> {
  return async (event) => {
    const failures: { itemIdentifier: string }[] = [];
    const outcomes = await s.queue.claim(
      event.Records.map((r) => ({
        messageId: r.messageId,
        receiptHandle: r.receiptHandle,
        body: r.body,
        receiveCount: Number(r.attributes.ApproximateReceiveCount ?? "1"),
      })),
      LEASE_MS,
    );
    for (const [i, outcome] of outcomes.entries()) {
      const record = event.Records[i]!;
      if (outcome.kind === "dropped") continue;
      if (outcome.kind === "deferred") {
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      if (!(await handleItem({ queue: s.queue, reconciler: s.built.controller.reconciler, logger: s.logger }, outcome.item))) {
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}

export const handler = async (event: SqsEvent): Promise<SqsBatchResponse> => workerHandler(await services())(event);
