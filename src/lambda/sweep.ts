/**
 * Sweep function on an EventBridge schedule: the rounds `tornade serve` runs on timers, one of each per invocation,
 * through the same controller objects — the sweeper (failed webhook deliveries redelivered, queued jobs no webhook
 * brought), the tracker (batched describe calls for launches still starting or running, catching any state change
 * whose event was lost) and the reaper (idle runners and registrations no launch stands behind released:
 * controller/reaper.ts) — plus the queue's dead letters as a CloudWatch metric in Embedded Metric Format, so an alarm
 * can watch them with no extra API call
 * ("Specification: Embedded metric format", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 *
 * One reaper round per invocation, its pace not stored: a reaper round keeps nothing from the last one — it loads its
 * facts from the table and GitHub each time, and a runner's idle time is counted from its stored launch — except its
 * pace (core/rounds.ts), which only picks when the next round comes. Here the schedule picks that, and a function
 * cannot move its own schedule; a pace kept in the table could only skip scheduled rounds, saving a quiet round's
 * runner listings for a table read and write on every invocation. The sweeper's redelivery backlog is in the table
 * because it is what the sweeper knows (which deliveries it follows), not when it looks.
 */
import type { ReapResult } from "../controller/reaper.js";
import { intakesOf } from "../config/index.js";
import { services, type LambdaServices } from "./wiring.js";

export const METRIC_NAMESPACE = "Tornade";

export interface LambdaSweepResult {
  readonly redelivered: number;
  readonly discovered: number;
  readonly launchesChanged: number;
  /** The reaper's round: runners released (deregistered and stopped), registrations removed, jobs found stale. */
  readonly reaped: ReapResult;
  readonly deadLetters: number;
}

export function sweepHandler(s: LambdaServices, emit: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): () => Promise<LambdaSweepResult> {
  const { sweeper, tracker, reaper } = s.built.controller;
  return async () => {
    // Each round is independent, as on `tornade serve`: one that fails (GitHub down) does not keep the others from
    // running; the invocation still fails afterwards, naming every round that did.
    const failed: string[] = [];
    const round = async <T>(name: string, run: () => Promise<T>, none: T): Promise<T> => {
      try {
        return await run();
      } catch (e) {
        const err = e instanceof Error ? e.message : String(e);
        s.logger.error({ err }, `${name} round failed`);
        failed.push(`${name}: ${err}`);
        return none;
      }
    };
    const noSweep = { redelivered: 0, discovered: 0, githubCalls: 0 };
    // Without the webhook intake there are no deliveries to redeliver: `tornade serve` runs no sweeper then either.
    const { redelivered, discovered } = intakesOf(s.config).webhooks ? await round("sweeper", () => sweeper.sweep(), noSweep) : noSweep;
    const launchesChanged = await round("tracker", () => tracker.track(), 0);
    // After the tracker: launches it found stopped are no longer the reaper's to look at.
    const reaped = await round("reaper", () => reaper.reap(), { stopped: 0, deregistered: 0, refreshed: 0 });
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
    s.logger.info({ redelivered, discovered, launchesChanged, reaped, queue: depth }, "sweep done");
    if (failed.length > 0) throw new Error(`sweep: ${failed.length} round(s) failed (the others ran; the next scheduled sweep tries again): ${failed.join("; ")}`);
    return { redelivered, discovered, launchesChanged, reaped, deadLetters: depth.dead };
  };
}

export const handler = async (): Promise<LambdaSweepResult> => sweepHandler(await services())();
