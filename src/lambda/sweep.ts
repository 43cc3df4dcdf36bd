/**
 * Sweep function on an EventBridge schedule: the rounds `tornade serve` runs on timers — the sweeper (failed webhook
 * deliveries redelivered, queued jobs no webhook brought) and the tracker (batched describe calls for launches still
 * starting or running, catching any state change whose event was lost) — plus the queue's
 * dead letters as a CloudWatch metric in Embedded Metric Format, so an alarm can watch them with no extra API call
 * ("Specification: Embedded metric format", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */
import { intakesOf } from "../config/index.js";
import { services, type LambdaServices } from "./wiring.js";

export const METRIC_NAMESPACE = "Tornade";

export interface LambdaSweepResult {
  readonly redelivered: number;
  readonly discovered: number;
  readonly launchesChanged: number;
  readonly deadLetters: number;
}

export function sweepHandler(s: LambdaServices, emit: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): () => Promise<LambdaSweepResult> {
  return async () => {
    // Without the webhook intake there are no deliveries to redeliver: `tornade serve` runs no sweeper then either.
    const { redelivered, discovered } = intakesOf(s.config).webhooks ? await s.built.controller.sweeper.sweep() : { redelivered: 0, discovered: 0 };
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
    s.logger.info({ redelivered, discovered, launchesChanged, queue: depth }, "sweep done");
    return { redelivered, discovered, launchesChanged, deadLetters: depth.dead };
  };
}

export const handler = async (): Promise<LambdaSweepResult> => sweepHandler(await services())();
