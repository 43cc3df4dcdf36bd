/**
 * How many labels a tornade job may carry and how long one may be: the one place these figures live. The label
 * grammar (labels.ts) applies them, so `tornade explain`, the webhook intake of `tornade serve` and the sandbox's
 * scenario loader refuse the same jobs with the same words.
 */

/**
 * A runner registers with exactly its job's labels, through generate-jitconfig, whose `labels` member takes
 * "Minimum items: 1. Maximum items: 100." (GitHub's REST API description, operations
 * actions/generate-runner-jitconfig-for-repo and -for-org, as published in @octokit/openapi-types). A job with more
 * would be accepted by tornade and then refused by GitHub at launch ("the array has more items than the maximum of
 * 100"), so it is refused up front instead.
 */
export const MAX_JOB_LABELS = 100;

/**
 * GitHub publishes no maximum length for one runner label: the same schema bounds only the count. 200 characters is
 * tornade's own bound (it was the sandbox scenario loader's before it moved here): far above any label the grammar
 * knows (`runs-on=FARGATE_SPOT` is 20, a run id 10–11) or a workflow plausibly writes, and low enough that a label
 * echoed in a check run, a log line or the dashboard stays readable. A longer label is refused, never truncated: the
 * runner must register with exactly the job's labels or GitHub would not give it the job.
 */
export const MAX_LABEL_LENGTH = 200;

/** A label as messages show it: quoted with JSON escapes (so a newline or a control character cannot forge a line),
 * and cut after 60 characters with its length stated, so a 10,000-character label does not flood a log. */
export function quoteLabel(label: string): string {
  const SHOWN = 60;
  if (label.length <= SHOWN) return JSON.stringify(label);
  return `${JSON.stringify(label.slice(0, SHOWN)).slice(0, -1)}…" (${label.length} characters)`;
}

/** What is wrong with the size of a label list, one sentence per problem, each naming the limit. Empty when fine. */
export function labelLimitProblems(labels: readonly string[]): { readonly label: string | null; readonly problem: string }[] {
  const out: { label: string | null; problem: string }[] = [];
  if (labels.length > MAX_JOB_LABELS) {
    out.push({
      label: null,
      problem: `the job has ${labels.length} labels; a runner registers with at most ${MAX_JOB_LABELS} (GitHub's generate-jitconfig takes 1–${MAX_JOB_LABELS} labels). Fix: give the job at most ${MAX_JOB_LABELS} labels`,
    });
  }
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      out.push({ label, problem: `is ${label.length} characters long; tornade accepts labels of at most ${MAX_LABEL_LENGTH} characters. Fix: shorten it` });
    }
  }
  return out;
}
