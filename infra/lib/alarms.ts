/**
 * Alarms an operator needs: anything in the dead-letter queue (a job's work item failed every retry, or a state
 * change could not be delivered), and failed launches, counted from the controller's structured log line
 * `{"msg":"launch failed"}` (src/controller/launcher.ts) by a metric filter on the functions that launch.
 */
import {
  aws_cloudwatch as cw,
  aws_cloudwatch_actions as cwActions,
  aws_logs as logs,
  aws_sns as sns,
  aws_sqs as sqs,
  Duration,
} from "aws-cdk-lib";
import { Construct } from "constructs";

export const METRIC_NAMESPACE = "Tornade";
/** Written by the sweep function (src/lambda/sweep.ts) as an embedded metric. */
export const DEAD_LETTERS_METRIC = "DeadLetters";
export const LAUNCH_FAILURES_METRIC = "LaunchFailures";

export interface TornadeAlarmsProps {
  readonly deadLetters: sqs.IQueue;
  /** Log groups of the functions that launch runners. */
  readonly launchLogGroups: readonly logs.ILogGroup[];
  /** Failed launches in 5 minutes that raise the alarm. Capacity shortages are retried, so one is not news. */
  readonly launchFailureThreshold: number;
  readonly topic?: sns.ITopic;
}

export class TornadeAlarms extends Construct {
  readonly deadLetters: cw.Alarm;
  /** tornade's own queue keeps its dead letters in DynamoDB; the sweep function reports their count (EMF). */
  readonly queueDeadLetters: cw.Alarm;
  readonly launchFailures: cw.Alarm;

  constructor(scope: Construct, id: string, props: TornadeAlarmsProps) {
    super(scope, id);
    this.deadLetters = new cw.Alarm(this, "DeadLetters", {
      alarmDescription: "tornade: messages in the dead-letter queue; a job or state change was given up on (see the worker's log)",
      metric: props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    this.queueDeadLetters = new cw.Alarm(this, "QueueDeadLetters", {
      alarmDescription: "tornade: work items gave up after their attempts (tornade's queue dead letters; see the worker's log, redrive once fixed)",
      metric: new cw.Metric({ namespace: METRIC_NAMESPACE, metricName: DEAD_LETTERS_METRIC, statistic: "Maximum", period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    props.launchLogGroups.forEach(
      (group, i) =>
        new logs.MetricFilter(this, `LaunchFailed${i}`, {
          logGroup: group,
          filterPattern: logs.FilterPattern.stringValue("$.msg", "=", "launch failed"),
          metricNamespace: METRIC_NAMESPACE,
          metricName: LAUNCH_FAILURES_METRIC,
          metricValue: "1",
        }),
    );
    this.launchFailures = new cw.Alarm(this, "LaunchFailures", {
      alarmDescription: "tornade: runner launches are failing (RunTask/StartBuild errors; see 'launch failed' log lines)",
      metric: new cw.Metric({ namespace: METRIC_NAMESPACE, metricName: LAUNCH_FAILURES_METRIC, statistic: "Sum", period: Duration.minutes(5) }),
      threshold: props.launchFailureThreshold,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) {
      for (const alarm of [this.deadLetters, this.queueDeadLetters, this.launchFailures]) alarm.addAlarmAction(new cwActions.SnsAction(props.topic));
    }
  }
}
