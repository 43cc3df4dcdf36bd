/**
 * Webhook payloads shaped like GitHub's, typed with @octokit/openapi-webhooks-types ("Webhook events and payloads":
 * workflow_job, ping). The repository object is the webhook variant, which carries more members than REST's.
 */
import type { components } from "@octokit/openapi-webhooks-types";
import { iso, jobFields, repoUrls, simpleUser, steps, type Site } from "./payloads.js";
import type { SimState } from "./state.js";
import type { JobRecord, RepoRecord } from "./types.js";

type W = components["schemas"];
export type WorkflowJobAction = "queued" | "waiting" | "in_progress" | "completed";
export type WorkflowJobPayload =
  | W["webhook-workflow-job-queued"]
  | W["webhook-workflow-job-waiting"]
  | W["webhook-workflow-job-in-progress"]
  | W["webhook-workflow-job-completed"];

export function webhookRepository(site: Site, repo: RepoRecord, createdAt: number): W["repository-webhooks"] {
  const t = iso(createdAt);
  return {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: `${site.owner}/${repo.name}`,
    license: null,
    forks: 0,
    owner: simpleUser(site),
    private: repo.visibility !== "public",
    description: null,
    fork: false,
    ...repoUrls(site, repo),
    mirror_url: null,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: "main",
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    visibility: repo.visibility,
    pushed_at: t,
    created_at: t,
    updated_at: t,
    open_issues: 0,
    watchers: 0,
    // Required by the published JSON schemas (@octokit/webhooks-schemas) though optional in the TypeScript types.
    web_commit_signoff_required: false,
    custom_properties: {},
  };
}

/** The `sender` of a workflow_job event is the user who triggered the run. */
function sender(site: Site) {
  return simpleUser(site, "octocat", 583231, "User");
}

export function workflowJobPayload(
  site: Site,
  state: SimState,
  job: JobRecord,
  action: WorkflowJobAction,
  epoch: number,
): WorkflowJobPayload {
  const run = state.runs.get(job.runId);
  const repoName = run?.repo ?? "unknown";
  const repo = state.repo(repoName);
  const st = steps(job);
  const common = jobFields(site, state, job);
  const envelope = {
    repository: webhookRepository(site, repo, epoch),
    sender: sender(site),
    installation: { id: site.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${site.installationId}` },
    organization: organization(site),
  };
  switch (action) {
    case "queued":
      return { action, ...envelope, workflow_job: { ...common, status: "queued", conclusion: null, steps: [] } };
    case "waiting":
      return { action, ...envelope, workflow_job: { ...common, status: "waiting", conclusion: null, steps: [] } };
    case "in_progress":
      return {
        action,
        ...envelope,
        workflow_job: {
          ...common,
          status: "in_progress",
          conclusion: null,
          steps: st.map((s) => ({ ...s, status: s.status, conclusion: s.conclusion })),
        },
      };
    case "completed":
      return {
        action,
        ...envelope,
        workflow_job: {
          ...common,
          status: "completed",
          conclusion: job.conclusion ?? "failure",
          completed_at: iso(job.completedAt ?? job.startedAt),
          // The published type intersects `steps` with `(Record<string, never> | null)[]`, which no real step
          // satisfies; the JSON schema (@octokit/webhooks-schemas) is what checks these steps instead.
          steps: st.map((s) => ({ ...s, status: s.status === "queued" ? "completed" : s.status })) as never[],
        },
      };
  }
}

export function organization(site: Site): W["organization-simple-webhooks"] {
  const u = `${site.url}/orgs/${site.owner}`;
  return {
    login: site.owner,
    id: site.ownerId,
    node_id: `O_kgDO${site.ownerId}`,
    url: u,
    repos_url: `${u}/repos`,
    events_url: `${u}/events`,
    hooks_url: `${u}/hooks`,
    issues_url: `${u}/issues`,
    members_url: `${u}/members{/member}`,
    public_members_url: `${u}/public_members{/member}`,
    avatar_url: `${site.url}/avatars/u/${site.ownerId}?v=4`,
    description: null,
  };
}

/** GitHub sends `ping` when a webhook is set up; for an App hook, `hook.type` is "App" and carries `app_id`. */
export function pingPayload(site: Site, hookId: number, url: string, createdAt: number): W["webhook-ping"] {
  return {
    zen: "Keep it logically awesome.",
    hook_id: hookId,
    hook: {
      type: "App",
      id: hookId,
      name: "web",
      active: true,
      events: ["workflow_job"],
      config: { content_type: "json", insecure_ssl: "0", url },
      updated_at: iso(createdAt),
      created_at: iso(createdAt),
      app_id: site.appId,
      deliveries_url: `${site.url}/app/hook/deliveries`,
    },
  };
}
