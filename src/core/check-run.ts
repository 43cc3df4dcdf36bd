/**
 * The text of the check run tornade puts on a job's commit when it will not or cannot serve the job. Pure.
 *
 * What goes to GitHub is read by everyone who can see the commit, and GitHub renders a check run's summary as
 * Markdown ("output.summary … supports Markdown", REST "Create a check run"). Labels and job names are written by
 * whoever writes the workflow, so they never reach the summary as Markdown: each is shown as an inline code span,
 * and the reasons (which quote labels) as a fenced code block, where GitHub interprets neither Markdown, HTML nor
 * autolinks. The title is tornade's own fixed text. AWS's error texts name ARNs and account ids; those stay in the log
 * and on the operator's dashboard, and are replaced here.
 */
import type { JobDecision } from "./job-decision.js";

export type ReportedDecision = Extract<JobDecision, { kind: "rejected" | "failed" }>;

/** What the check run shows of the job besides the decision. */
export interface CheckRunJob {
  readonly name: string;
  readonly labels: readonly string[];
}

export interface CheckRunOutput {
  readonly title: string;
  readonly summary: string;
}

/** GitHub's bound on output.summary ("Maximum length: 65535 characters"). */
export const SUMMARY_MAX_CHARS = 65_535;
/** Labels listed by name; the rest are counted (a job has at most 100, core/label-limits.ts). */
const LABELS_SHOWN = 20;
/** Room for the reasons, so the whole summary stays under GitHub's bound whatever the labels. */
const REASONS_MAX_CHARS = 40_000;

export function checkRunOutput(d: ReportedDecision, job: CheckRunJob | undefined): CheckRunOutput {
  const rejected = d.kind === "rejected";
  const problems = rejected && d.problems && d.problems.length > 0 ? d.problems : [d.reason];
  const who = job ? ` ${codeSpan(job.name)}${labelList(job.labels)}` : "";
  const lead = rejected
    ? `tornade will not start a runner for the job${who}:`
    : `tornade gave up starting a runner for the job${who}; AWS's or GitHub's last words (ARNs and account ids left out here: the tornade log and dashboard have them):`;
  const fix = rejected
    ? "Fix the job's `runs-on` labels (run `tornade explain --labels ...` to check them), or the tornade setting named above."
    : "Fix what it names (e.g. the task definition or the permissions), then re-run the job.";
  const summary = [lead, "", codeBlock(cut(problems.map(redactAwsIdentifiers).join("\n"), REASONS_MAX_CHARS)), "", fix].join("\n");
  return {
    title: rejected ? "tornade will not run this job" : "tornade could not start a runner for this job",
    summary: summary.length > SUMMARY_MAX_CHARS ? summary.slice(0, SUMMARY_MAX_CHARS) : summary,
  };
}

/**
 * AWS ARNs and 12-digit account ids (alone, or in an ECR image URI like 123456789012.dkr.ecr…) replaced by a word.
 * An ARN runs to the next space, quote, comma, semicolon or closing bracket ("Amazon Resource Names", AWS General
 * Reference: arn:partition:service:region:account-id:resource). A 12-digit job id would be masked too: harmless, the
 * check run sits on that job's commit.
 */
export function redactAwsIdentifiers(text: string): string {
  return text.replace(/\barn:aws[a-z-]*:[^\s"'`,;)\]}]*/gi, "<an AWS ARN>").replace(/(?<![\d.])\d{12}(?!\d)/g, "<an AWS account>");
}

/** The job's labels as code spans, the first LABELS_SHOWN of them. */
function labelList(labels: readonly string[]): string {
  if (labels.length === 0) return "";
  const shown = labels.slice(0, LABELS_SHOWN).map(codeSpan).join(", ");
  const more = labels.length > LABELS_SHOWN ? ` and ${labels.length - LABELS_SHOWN} more` : "";
  return ` (labels ${shown}${more})`;
}

/**
 * Text as a Markdown inline code span: nothing inside is interpreted. The fence is one backtick longer than the
 * longest run inside, padded with a space each side (CommonMark strips one), line breaks become spaces.
 */
export function codeSpan(text: string): string {
  const flat = visible(redactAwsIdentifiers(text)).replace(/[\r\n]+/g, " ");
  const fence = "`".repeat(longestBacktickRun(flat) + 1);
  return `${fence} ${flat} ${fence}`;
}

/** Lines as a fenced code block, fenced longer than any backtick run inside so no line can close it. */
export function codeBlock(text: string): string {
  const body = visible(text);
  const fence = "`".repeat(Math.max(3, longestBacktickRun(body) + 1));
  return `${fence}text\n${body}\n${fence}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
}

/**
 * Control characters and the bidirectional overrides that can make text read differently from what it is (e.g.
 * U+202E) shown as \u escapes; line feeds stay, for the code block's lines.
 */
function visible(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (cut here; the tornade log has the rest)`;
}
