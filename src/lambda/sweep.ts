/**
 * Sweep function on an EventBridge schedule: the tracker round `tornade serve` runs on a timer (batched describe
 * calls for launches still starting or running, catching any state change whose event was lost), plus the queue's
 * dead letters as a CloudWatch metric in Embedded Metric Format, so an alarm can watch them with no extra API call
 * ("Specification: Embedded metric format", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */
import { services, type LambdaServices } from "./wiring.js";

export const METRIC_NAMESPACE = "Tornade";

export interface SweepResult {
  readonly launchesChanged: number;
  readonly deadLetters: number;
}

export function sweepHandler(s: LambdaServices, emit: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): () => Promise<SweepResult> {
  return async () => {
    const launchesChanged = await s.built.controller.tracker.track();
    const depth = await s.queue.depth();
    emit(
      JSON.stringify({
        _aws: {
          Timestamp: s.clock.now(),
          CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: "DeadLetters", Unit: "Count" }, { Name: "QueueDepth", Unit: "Count" }] }],
        },
        DeadLetters: depth.dead,
        QueueDepth: depth.pending + depth.inFlight,
      }),
    );
    s.logger.info({ launchesChanged, queue: depth }, "sweep done");
    return { launchesChanged, deadLetters: depth.dead };
  };
}

export const handler = (): Promise<SweepResult> => sweepHandler(services())();
