/**
 * REST bodies built from the simulator's records, typed with GitHub's published OpenAPI types
 * (@octokit/openapi-types) so the compiler checks every required member.
 */
import type { components } from "@octokit/openapi-types";
import type { components as webhookComponents } from "@octokit/openapi-webhooks-types";
import type { JobRecord, RepoRecord, RunRecord, RunnerRecord } from "./types.js";
import type { SimState } from "./state.js";

type S = components["schemas"];

export interface Site {
  /** The sim's base URL: plays api.github.com and github.com at once. */
  url: string;
  owner: string;
  ownerId: number;
  appId: number;
  appSlug: string;
  clientId: string;
  installationId: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function simpleUser(site: Site, login = site.owner, id = site.ownerId, type = "Organization"): webhookComponents["schemas"]["simple-user"] {
  const u = `${site.url}/users/${login}`;
  return {
    login,
    id,
    node_id: `O_kgDO${id}`,
    avatar_url: `${site.url}/avatars/u/${id}?v=4`,
    gravatar_id: "",
    url: u,
    html_url: `${site.url}/${login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type,
    site_admin: false,
  };
}

/** The `*_url` members every repository shape (REST and webhook) carries. */
export function repoUrls(site: Site, repo: RepoRecord) {
  const a = `${site.url}/repos/${site.owner}/${repo.name}`;
  return {
    url: a,
    html_url: `${site.url}/${site.owner}/${repo.name}`,
    archive_url: `${a}/{archive_format}{/ref}`,
    assignees_url: `${a}/assignees{/user}`,
    blobs_url: `${a}/git/blobs{/sha}`,
    branches_url: `${a}/branches{/branch}`,
    collaborators_url: `${a}/collaborators{/collaborator}`,
    comments_url: `${a}/comments{/number}`,
    commits_url: `${a}/commits{/sha}`,
    compare_url: `${a}/compare/{base}...{head}`,
    contents_url: `${a}/contents/{+path}`,
    contributors_url: `${a}/contributors`,
    deployments_url: `${a}/deployments`,
    downloads_url: `${a}/downloads`,
    events_url: `${a}/events`,
    forks_url: `${a}/forks`,
    git_commits_url: `${a}/git/commits{/sha}`,
    git_refs_url: `${a}/git/refs{/sha}`,
    git_tags_url: `${a}/git/tags{/sha}`,
    git_url: `git://127.0.0.1/${site.owner}/${repo.name}.git`,
    issue_comment_url: `${a}/issues/comments{/number}`,
    issue_events_url: `${a}/issues/events{/number}`,
    issues_url: `${a}/issues{/number}`,
    keys_url: `${a}/keys{/key_id}`,
    labels_url: `${a}/labels{/name}`,
    languages_url: `${a}/languages`,
    merges_url: `${a}/merges`,
    milestones_url: `${a}/milestones{/number}`,
    notifications_url: `${a}/notifications{?since,all,participating}`,
    pulls_url: `${a}/pulls{/number}`,
    releases_url: `${a}/releases{/id}`,
    ssh_url: `git@127.0.0.1:${site.owner}/${repo.name}.git`,
    stargazers_url: `${a}/stargazers`,
    statuses_url: `${a}/statuses/{sha}`,
    subscribers_url: `${a}/subscribers`,
    subscription_url: `${a}/subscription`,
    tags_url: `${a}/tags`,
    teams_url: `${a}/teams`,
    trees_url: `${a}/git/trees{/sha}`,
    clone_url: `${site.url}/${site.owner}/${repo.name}.git`,
    hooks_url: `${a}/hooks`,
    svn_url: `${site.url}/${site.owner}/${repo.name}`,
  };
}

export function minimalRepository(site: Site, repo: RepoRecord): S["minimal-repository"] {
  return {
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: `${site.owner}/${repo.name}`,
    owner: simpleUser(site),
    private: repo.visibility !== "public",
    visibility: repo.visibility,
    description: null,
    fork: false,
    ...repoUrls(site, repo),
  };
}

export function runnerBody(r: RunnerRecord): S["runner"] {
  return {
    id: r.id,
    runner_group_id: r.groupId,
    name: r.name,
    os: "Linux",
    status: r.sessionId ? "online" : "offline",
    busy: r.jobId !== null,
    ephemeral: r.ephemeral,
    labels: r.labels.map((name) => ({ id: labelId(name), name, type: "custom" as const })),
  };
}

/** Label ids are stable per name, as GitHub keeps one id per label text. */
function labelId(name: string): number {
  let h = 7;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h + 1;
}

export function jobUrls(site: Site, repo: string, job: { id: number; runId: number }) {
  const a = `${site.url}/repos/${site.owner}/${repo}`;
  return {
    url: `${a}/actions/jobs/${job.id}`,
    html_url: `${site.url}/${site.owner}/${repo}/actions/runs/${job.runId}/job/${job.id}`,
    run_url: `${a}/actions/runs/${job.runId}`,
    check_run_url: `${a}/check-runs/${job.id}`,
  };
}

export type Step = {
  name: string;
  number: number;
  status: "queued" | "in_progress" | "completed";
  conclusion: "success" | "failure" | "cancelled" | "skipped" | null;
  started_at: string | null;
  completed_at: string | null;
};

/** A job's steps as the runner would report them: set up, run, complete. Queued jobs have none. */
export function steps(job: JobRecord): Step[] {
  if (job.status === "queued" || job.status === "waiting" || job.runnerId === null) return [];
  const start = iso(job.startedAt);
  const done = job.completedAt === null ? null : iso(job.completedAt);
  const c = job.conclusion;
  return [
    { name: "Set up job", number: 1, status: "completed", conclusion: "success", started_at: start, completed_at: start },
    { name: "Run", number: 2, status: done ? "completed" : "in_progress", conclusion: c === "cancelled" ? "cancelled" : c, started_at: start, completed_at: done },
    { name: "Complete job", number: 3, status: done ? "completed" : "queued", conclusion: done ? (c === "cancelled" ? "skipped" : "success") : null, started_at: done, completed_at: done },
  ];
}

/** A job's fields common to the REST job body and the `workflow_job` webhook (which set status, conclusion, steps). */
export function jobFields(site: Site, state: SimState, job: JobRecord) {
  const run = state.runs.get(job.runId);
  const repo = run?.repo ?? "unknown";
  return {
    id: job.id,
    run_id: job.runId,
    run_attempt: job.runAttempt,
    node_id: `CR_kwDO${job.id}`,
    head_sha: run?.headSha ?? "",
    head_branch: run?.headBranch ?? null,
    ...jobUrls(site, repo, job),
    created_at: iso(job.createdAt),
    started_at: iso(job.startedAt),
    completed_at: job.completedAt === null ? null : iso(job.completedAt),
    name: job.name,
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: job.runnerGroupId,
    runner_group_name: job.runnerGroupName,
    workflow_name: run?.workflowName ?? null,
  };
}

export function jobBody(site: Site, state: SimState, job: JobRecord): S["job"] {
  return { ...jobFields(site, state, job), status: job.status, conclusion: job.conclusion, steps: steps(job) };
}

export interface RunStatus {
  status: "queued" | "in_progress" | "completed" | "waiting";
  conclusion: "success" | "failure" | "cancelled" | null;
}

/** A run follows its latest job attempts: all completed → completed (failure beats cancelled beats success). */
export function runStatus(state: SimState, run: RunRecord): RunStatus {
  const jobs = state.latestJobsOfRun(run.id);
  if (jobs.length > 0 && jobs.every((j) => j.status === "completed")) {
    const cs = jobs.map((j) => j.conclusion);
    const conclusion = cs.includes("failure") ? "failure" : cs.includes("cancelled") ? "cancelled" : "success";
    return { status: "completed", conclusion };
  }
  if (jobs.every((j) => j.status === "waiting")) return { status: "waiting", conclusion: null };
  if (jobs.every((j) => j.status === "queued" || j.status === "waiting")) return { status: "queued", conclusion: null };
  return { status: "in_progress", conclusion: null };
}

export function runBody(site: Site, state: SimState, run: RunRecord): S["workflow-run"] {
  const repo = state.repo(run.repo);
  const a = `${site.url}/repos/${site.owner}/${run.repo}/actions/runs/${run.id}`;
  const { status, conclusion } = runStatus(state, run);
  return {
    id: run.id,
    name: run.workflowName,
    node_id: `WFR_kwLO${run.id}`,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: ".github/workflows/ci.yml",
    display_title: run.workflowName,
    run_number: run.runNumber,
    run_attempt: run.attempt,
    event: "push",
    status,
    conclusion,
    workflow_id: 1,
    url: a,
    html_url: `${site.url}/${site.owner}/${run.repo}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: iso(run.createdAt),
    updated_at: iso(run.updatedAt),
    run_started_at: iso(run.runStartedAt),
    jobs_url: `${a}/jobs`,
    logs_url: `${a}/logs`,
    check_suite_url: `${site.url}/repos/${site.owner}/${run.repo}/check-suites/${run.id}`,
    artifacts_url: `${a}/artifacts`,
    cancel_url: `${a}/cancel`,
    rerun_url: `${a}/rerun`,
    previous_attempt_url: run.attempt > 1 ? `${a}/attempts/${run.attempt - 1}` : null,
    workflow_url: `${site.url}/repos/${site.owner}/${run.repo}/actions/workflows/1`,
    head_commit: {
      id: run.headSha,
      tree_id: run.headSha,
      message: "Simulated commit",
      timestamp: iso(run.createdAt),
      author: { name: "Octocat", email: "octocat@example.invalid" },
      committer: { name: "Octocat", email: "octocat@example.invalid" },
    },
    repository: minimalRepository(site, repo),
    head_repository: minimalRepository(site, repo),
  };
}

/** What an installation grants: its permissions and which repositories it covers. */
export interface InstallationAccess {
  readonly permissions: Record<string, string>;
  readonly repositorySelection: "all" | "selected";
}

const DEFAULT_ACCESS: InstallationAccess = {
  permissions: { actions: "write", administration: "write", organization_self_hosted_runners: "write", metadata: "read" },
  repositorySelection: "all",
};

export function installationBody(site: Site, createdAt: number, access: InstallationAccess = DEFAULT_ACCESS): S["installation"] {
  return {
    id: site.installationId,
    account: simpleUser(site),
    repository_selection: access.repositorySelection,
    access_tokens_url: `${site.url}/app/installations/${site.installationId}/access_tokens`,
    repositories_url: `${site.url}/installation/repositories`,
    html_url: `${site.url}/organizations/${site.owner}/settings/installations/${site.installationId}`,
    app_id: site.appId,
    client_id: site.clientId,
    target_id: site.ownerId,
    target_type: "Organization",
    permissions: access.permissions,
    events: ["workflow_job"],
    created_at: iso(createdAt),
    updated_at: iso(createdAt),
    single_file_name: null,
    app_slug: site.appSlug,
    suspended_by: null,
    suspended_at: null,
  };
}
