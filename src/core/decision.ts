/**
 * The delivery decision: everything tornade applies to one `workflow_job` webhook delivery, in one pure function.
 * The webhook intake and `tornade explain` both call `decideDelivery`, so what explain prints is what serve does.
 */
import { z } from "zod";
import type { components } from "@octokit/openapi-webhooks-types";
import { describeLabelErrors, interpretLabels, type LabelPolicy, type LabelVerdict } from "./labels.js";
import type { Arch, Backend, LaunchSpec, Size } from "./types.js";

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

/** What `tornade explain` prints, and what the intake records: null where a field does not apply. */
export interface Explanation {
  readonly launch: boolean;
  readonly backend: Backend | null;
  readonly arch: Arch | null;
  readonly static: boolean;
  /** vCPU (Fargate). */
  readonly cpu: number | null;
  /** MiB (Fargate). */
  readonly memory: number | null;
  /** GiB of ephemeral storage (Fargate). */
  readonly disk: number | null;
  /** Size preset; on CodeBuild the compute type (CODEBUILD_COMPUTE_TYPES). Not in issue 3's list: added so a CodeBuild launch shows its size. */
  readonly size: Size | null;
  readonly image: string | null;
  readonly runnerLabels: readonly string[] | null;
  /** Why nothing is launched; null when launching. */
  readonly reason: string | null;
  /**
   * Why the job is rejected, as one line: every label problem ("label \"arch=RISCV\": arch must be …; label …"), or
   * the policy refusal's message. Null when not rejected.
   */
  readonly error: string | null;
  /** The same problems one by one (a job with four bad labels has four); empty when not rejected. */
  readonly errors: readonly string[];
}

/** The only action that asks for a runner (SEED.md: the endpoint acts on `action == "queued"`). */
export const LAUNCH_ACTION = "queued";

export function decideDelivery(payload: WorkflowJobDelivery, policy: DeliveryPolicy): Explanation {
  if (payload.action !== LAUNCH_ACTION) {
    return nothing(`action is "${payload.action}"; tornade launches runners only for "${LAUNCH_ACTION}"`);
  }
  const verdict = interpretLabels(payload.workflow_job.labels, policy);
  if (verdict.kind === "not-tornade") return fromVerdict(verdict);
  // Checked after "is it ours?" so a foreign repository's unrelated jobs stay silent, and before the label grammar so
  // a repository we do not serve never gets a label error from us.
  const refusal = allowListRefusal(payload, policy);
  if (refusal) return nothing(refusal);
  // A public repository is one we were asked to serve (allow-listed or no list), so the refusal is visible: rejected,
  // with the setting that changes it, rather than a job left waiting for GitHub's 24-hour timeout.
  const exposed = publicRefusal(payload, policy);
  if (exposed) return { ...nothing(`rejected: ${exposed}`), error: exposed, errors: [exposed] };
  return fromVerdict(verdict);
}

/** The `--labels` form of explain: the label rules alone (no action, no repository to check). */
export function explainLabels(labels: readonly string[], policy: LabelPolicy): Explanation {
  return fromVerdict(interpretLabels(labels, policy));
}

export type DecisionKind = "launch" | "static" | "ignored" | "rejected";

/** How the controller files an explanation: launch it, leave it to the static pool, ignore it, or reject it visibly. */
export function decisionKind(e: Explanation): DecisionKind {
  if (e.launch) return "launch";
  if (e.static) return "static";
  return e.error === null ? "ignored" : "rejected";
}

/** The LaunchSpec an explanation describes; null when it launches nothing. */
export function launchSpecOf(e: Explanation): LaunchSpec | null {
  if (!e.launch || e.backend === null || e.arch === null || e.image === null || e.runnerLabels === null) return null;
  return {
    backend: e.backend,
    arch: e.arch,
    cpu: e.cpu ?? undefined,
    memory: e.memory ?? undefined,
    disk: e.disk ?? undefined,
    size: e.size ?? undefined,
    image: e.image,
    runnerLabels: e.runnerLabels,
  };
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

function fromVerdict(v: LabelVerdict): Explanation {
  switch (v.kind) {
    case "not-tornade":
      return nothing(v.reason);
    case "static":
      return { ...nothing(v.reason), static: true };
    case "error": {
      const error = describeLabelErrors(v.errors);
      return { ...nothing(`rejected: ${error}`), error, errors: v.errors.map((e) => e.message) };
    }
    case "launch": {
      const s = v.spec;
      return {
        launch: true,
        backend: s.backend,
        arch: s.arch,
        static: false,
        cpu: s.cpu ?? null,
        memory: s.memory ?? null,
        disk: s.disk ?? null,
        size: s.size ?? null,
        image: s.image,
        runnerLabels: [...s.runnerLabels],
        reason: null,
        error: null,
        errors: [],
      };
    }
  }
}

function nothing(reason: string): Explanation {
  return {
    launch: false,
    backend: null,
    arch: null,
    static: false,
    cpu: null,
    memory: null,
    disk: null,
    size: null,
    image: null,
    runnerLabels: null,
    reason,
    error: null,
    errors: [],
  };
}
