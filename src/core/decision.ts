/**
 * The delivery decision: everything tornade applies to one `workflow_job` webhook delivery, in one pure function.
 * The webhook intake stores the JobDecision `decideDelivery` returns, and `tornade explain` prints that same decision,
 * so what explain prints is what serve does.
 */
import { z } from "zod";
import type { components } from "@octokit/openapi-webhooks-types";
import { describeLabelErrors, interpretLabels, type LabelPolicy, type LabelVerdict } from "./labels.js";
import type { JobDecision } from "./job-decision.js";

/**
 * The part of a `workflow_job` payload tornade reads, validated at the edge. Field names and types follow GitHub's
 * published schema (`@octokit/openapi-webhooks-types`, "webhook-workflow-job-*"); unknown fields are dropped.
 */
export const WorkflowJobDeliverySchema = z.object({
  action: z.string(),
  workflow_job: z.object({
    id: z.number().int(),
    run_id: z.number().int(),
    // Absent from GitHub's oldest examples (run_attempt came with re-runs in 2021): a missing one is the first attempt.
    run_attempt: z.number().int().default(1),
    name: z.string(),
    labels: z.array(z.string()),
    status: z.string(),
    conclusion: z.string().nullable(),
    created_at: z.string().optional(),
    // Set once the job is on a runner (in_progress, completed); null or absent before.
    started_at: z.string().nullable().optional(),
    head_sha: z.string(),
    runner_name: z.string().nullable(),
    workflow_name: z.string().nullable().optional(),
  }),
  repository: z.object({
    id: z.number().int(),
    name: z.string(),
    full_name: z.string(),
    owner: z.object({ login: z.string() }),
    // Both are in GitHub's webhook repository schema; `visibility` ("public" | "private" | "internal") came later than
    // `private`, so either may be all a payload has. Optional here so an absent one reads as "not known to be private".
    private: z.boolean().optional(),
    visibility: z.string().optional(),
  }),
  organization: z.object({ login: z.string() }).optional(),
  installation: z.object({ id: z.number().int() }).optional(),
});
export type WorkflowJobDelivery = z.infer<typeof WorkflowJobDeliverySchema>;

/** Every published `workflow_job` payload, as Octokit types it. */
export type WorkflowJobEvent =
  | components["schemas"]["webhook-workflow-job-queued"]
  | components["schemas"]["webhook-workflow-job-waiting"]
  | components["schemas"]["webhook-workflow-job-in-progress"]
  | components["schemas"]["webhook-workflow-job-completed"];
// Compile-time proof that the subset we validate is a subset of what GitHub publishes: if Octokit's types and this
// schema drift apart, type-checking fails here.
export const fromOctokitPayload = (p: WorkflowJobEvent): WorkflowJobDelivery => p;

/** The body is not a `workflow_job` delivery tornade can read. The message says which fields are wrong. */
export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

export function parseWorkflowJobDelivery(body: unknown): WorkflowJobDelivery {
  const r = WorkflowJobDeliverySchema.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
    .join("; ");
  throw new PayloadError(`not a workflow_job webhook body: ${issues}`);
}

export interface DeliveryPolicy extends LabelPolicy {
  /** "owner/repo" names (case-insensitive). Empty or absent, with allowedOrganizations also empty: every repository. */
  readonly allowedRepositories?: readonly string[] | undefined;
  /** Owner logins, organizations or users (case-insensitive). */
  readonly allowedOrganizations?: readonly string[] | undefined;
  /**
   * Serve jobs of public repositories. Absent or false: refused. GitHub, "About self-hosted runners" → "Self-hosted
   * runner security" (https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners/about-self-hosted-runners#self-hosted-runner-security):
   * "We recommend that you only use self-hosted runners with private repositories. This is because forks of your
   * public repository can potentially run dangerous code on your self-hosted runner machine by creating a pull
   * request that executes the code in a workflow."
   */
  readonly allowPublicRepositories?: boolean | undefined;
}

/** The configuration key and variable that opt in to public repositories, named in every refusal. */
export const ALLOW_PUBLIC_SETTING = "github.allowPublicRepositories: true (env TORNADE_ALLOW_PUBLIC_REPOSITORIES=true)";

/** The only action that asks for a runner (SEED.md: the endpoint acts on `action == "queued"`). */
export const LAUNCH_ACTION = "queued";

/**
 * The decision for one delivery: what the intake stores with the job (core/job-decision.ts), and what
 * `tornade explain --payload` prints (core/explanation.ts lays it out).
 */
export function decideDelivery(payload: WorkflowJobDelivery, policy: DeliveryPolicy): JobDecision {
  if (payload.action !== LAUNCH_ACTION) {
    return { kind: "ignored", reason: `action is "${payload.action}"; tornade launches runners only for "${LAUNCH_ACTION}"` };
  }
  const headSha = payload.workflow_job.head_sha;
  const verdict = interpretLabels(payload.workflow_job.labels, policy);
  if (verdict.kind === "not-tornade") return fromVerdict(verdict, headSha);
  // Checked after "is it ours?" so a foreign repository's unrelated jobs stay silent, and before the label grammar so
  // a repository we do not serve never gets a label error from us.
  const refusal = allowListRefusal(payload, policy);
  if (refusal) return { kind: "ignored", reason: refusal };
  // A public repository is one we were asked to serve (allow-listed or no list), so the refusal is visible: rejected,
  // with the setting that changes it, rather than a job left waiting for GitHub's 24-hour timeout.
  const exposed = publicRefusal(payload, policy);
  if (exposed) return { kind: "rejected", reason: exposed, headSha };
  return fromVerdict(verdict, headSha);
}

/** The `--labels` form of explain: the label rules alone (no action, no repository to check, no commit). */
export function decideLabels(labels: readonly string[], policy: LabelPolicy): JobDecision {
  return fromVerdict(interpretLabels(labels, policy));
}

function allowListRefusal(p: WorkflowJobDelivery, policy: DeliveryPolicy): string | null {
  const repos = policy.allowedRepositories ?? [];
  const owners = policy.allowedOrganizations ?? [];
  if (repos.length === 0 && owners.length === 0) return null;
  const full = p.repository.full_name.toLowerCase();
  const owner = (p.organization?.login ?? p.repository.owner.login).toLowerCase();
  if (repos.some((r) => r.toLowerCase() === full)) return null;
  if (owners.some((o) => o.toLowerCase() === owner)) return null;
  return `repository "${p.repository.full_name}" is not in this tornade's allowed repositories or organizations`;
}

/** True unless the payload says the repository is private or internal; a payload that says neither counts as public. */
export function isPublicRepository(repo: WorkflowJobDelivery["repository"]): boolean {
  if (repo.visibility !== undefined) return repo.visibility.toLowerCase() === "public";
  return repo.private !== true;
}

function publicRefusal(p: WorkflowJobDelivery, policy: DeliveryPolicy): string | null {
  if (policy.allowPublicRepositories === true || !isPublicRepository(p.repository)) return null;
  return (
    `repository "${p.repository.full_name}" is public, and a pull request from a fork of a public repository could run ` +
    `its code on a self-hosted runner; tornade refuses public repositories unless you set ${ALLOW_PUBLIC_SETTING}`
  );
}

/** A label verdict as a decision; `headSha` (the job's commit) goes with the decisions a check run may report. */
function fromVerdict(v: LabelVerdict, headSha?: string): JobDecision {
  const commit = headSha === undefined ? {} : { headSha };
  switch (v.kind) {
    case "not-tornade":
      return { kind: "ignored", reason: v.reason };
    case "static":
      return { kind: "static", reason: v.reason };
    case "error": {
      // One line for logs and the dashboard; each problem on its own when there are several, for the check run.
      const problems = v.errors.map((e) => e.message);
      return { kind: "rejected", reason: describeLabelErrors(v.errors), ...(problems.length > 1 ? { problems } : {}), ...commit };
    }
    case "launch":
      return { kind: "launch", spec: v.spec, ...commit };
  }
}
