import type { components } from "@octokit/openapi-types";
import { systemClock, type Clock } from "../clock/clock.js";
import type { GitHubClients, GitHubOctokit } from "./auth.js";
import { GitHubError, toGitHubError } from "./errors.js";
import type {
  CheckRunRequest,
  DeliveryPage,
  GitHubPort,
  JitConfig,
  JitConfigRequest,
  RepoRef,
  Runner,
  RunnerScope,
  WebhookDelivery,
  WorkflowJob,
  WorkflowRun,
} from "./github-port.js";
import type { RateLimitObservation } from "./rate-limits.js";

type ApiJob = components["schemas"]["job"];
type ApiRun = components["schemas"]["workflow-run"];
type ApiRunner = components["schemas"]["runner"];
type ApiDelivery = components["schemas"]["hook-delivery-item"];

/** GitHub's largest page for the list endpoints used here. */
const PER_PAGE = 100;

/** The GitHubPort over Octokit (see auth.ts for authentication, throttling and retries). */
export class OctokitGitHub implements GitHubPort {
  private readonly clock: Clock;

  constructor(
    private readonly clients: GitHubClients,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async generateJitConfig(req: JitConfigRequest): Promise<JitConfig> {
    const octokit = this.octokit(req);
    // "Create configuration for a just-in-time runner" (repository / organization),
    // https://docs.github.com/en/rest/actions/self-hosted-runners
    const body = {
      name: req.name,
      runner_group_id: req.runnerGroupId,
      labels: [...req.labels],
      ...(req.workFolder === undefined ? {} : { work_folder: req.workFolder }),
    };
    const data = await this.call("POST generate-jitconfig", async () =>
      req.scope === "org"
        ? (await octokit.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: req.owner, ...body }))
            .data
        : (
            await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", {
              owner: req.owner,
              repo: req.repo,
              ...body,
            })
          ).data,
    );
    return { runnerId: Number(data.runner.id), encodedJitConfig: data.encoded_jit_config };
  }

  async getJob(repo: RepoRef, jobId: number): Promise<WorkflowJob> {
    const octokit = this.octokit(repo);
    const res = await this.call("GET job", () =>
      octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}", { owner: repo.owner, repo: repo.repo, job_id: jobId }),
    );
    return toJob(res.data);
  }

  async getRun(repo: RepoRef, runId: number): Promise<WorkflowRun> {
    const octokit = this.octokit(repo);
    const res = await this.call("GET run", () =>
      octokit.request("GET /repos/{owner}/{repo}/actions/runs/{run_id}", { owner: repo.owner, repo: repo.repo, run_id: runId }),
    );
    return toRun(res.data);
  }

  async listRunJobs(repo: RepoRef, runId: number): Promise<WorkflowJob[]> {
    const octokit = this.octokit(repo);
    const jobs = await this.call("GET run jobs", () =>
      octokit.paginate("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs", {
        owner: repo.owner,
        repo: repo.repo,
        run_id: runId,
        filter: "latest",
        per_page: PER_PAGE,
      }),
    );
    return jobs.map(toJob);
  }

  async listQueuedRuns(repo: RepoRef, opts: { since?: number; maxPages?: number; status?: "queued" | "in_progress" } = {}): Promise<WorkflowRun[]> {
    const octokit = this.octokit(repo);
    const maxPages = opts.maxPages ?? 10;
    if (maxPages < 1) return [];
    let pages = 0;
    return this.call("GET queued runs", () =>
      octokit.paginate(
        "GET /repos/{owner}/{repo}/actions/runs",
        {
          owner: repo.owner,
          repo: repo.repo,
          status: opts.status ?? "queued",
          per_page: PER_PAGE,
          // GitHub's date-range syntax for `created` ("Searching for workflow runs" / search syntax: >=YYYY-MM-DDTHH:MM:SSZ).
          ...(opts.since === undefined ? {} : { created: `>=${isoSeconds(opts.since)}` }),
        },
        (response, done) => {
          if (++pages >= maxPages) done();
          return response.data.map(toRun);
        },
      ),
    );
  }

  async rerunJob(repo: RepoRef, jobId: number): Promise<void> {
    const octokit = this.octokit(repo);
    await this.call("POST rerun job", () =>
      octokit.request("POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", {
        owner: repo.owner,
        repo: repo.repo,
        job_id: jobId,
      }),
    );
  }

  async listRunners(target: RunnerScope): Promise<Runner[]> {
    const octokit = this.octokit(target);
    const query = { per_page: PER_PAGE };
    const runners = await this.call("GET runners", () =>
      target.scope === "org"
        ? octokit.paginate("GET /orgs/{org}/actions/runners", { org: target.owner, ...query })
        : octokit.paginate("GET /repos/{owner}/{repo}/actions/runners", { owner: target.owner, repo: target.repo, ...query }),
    );
    return runners.map(toRunner);
  }

  async findRunner(target: RunnerScope, name: string): Promise<Runner | undefined> {
    // One page of "List self-hosted runners" filtered by exact `name` (a query parameter GitHub offers).
    const octokit = this.octokit(target);
    const query = { per_page: PER_PAGE, name };
    const res = await this.call("GET runners", () =>
      target.scope === "org"
        ? octokit.request("GET /orgs/{org}/actions/runners", { org: target.owner, ...query })
        : octokit.request("GET /repos/{owner}/{repo}/actions/runners", { owner: target.owner, repo: target.repo, ...query }),
    );
    return res.data.runners.map(toRunner).find((r) => r.name === name);
  }

  async getRunner(target: RunnerScope, runnerId: number): Promise<Runner> {
    const octokit = this.octokit(target);
    const res = await this.call("GET runner", () =>
      target.scope === "org"
        ? octokit.request("GET /orgs/{org}/actions/runners/{runner_id}", { org: target.owner, runner_id: runnerId })
        : octokit.request("GET /repos/{owner}/{repo}/actions/runners/{runner_id}", {
            owner: target.owner,
            repo: target.repo,
            runner_id: runnerId,
          }),
    );
    return toRunner(res.data);
  }

  async deleteRunner(target: RunnerScope, runnerId: number): Promise<void> {
    const octokit = this.octokit(target);
    try {
      await this.call("DELETE runner", () =>
        target.scope === "org"
          ? octokit.request("DELETE /orgs/{org}/actions/runners/{runner_id}", { org: target.owner, runner_id: runnerId })
          : octokit.request("DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}", {
              owner: target.owner,
              repo: target.repo,
              runner_id: runnerId,
            }),
      );
    } catch (e) {
      // Deregistering is idempotent for us: a runner GitHub already removed (a JIT runner after its job) is done.
      if (e instanceof GitHubError && e.kind === "not-found") return;
      throw e;
    }
  }

  async listWebhookDeliveries(opts: { cursor?: string; perPage?: number } = {}): Promise<DeliveryPage> {
    const octokit = this.appOctokit("list webhook deliveries");
    const res = await this.call("GET app hook deliveries", () =>
      octokit.request("GET /app/hook/deliveries", {
        per_page: opts.perPage ?? PER_PAGE,
        ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
      }),
    );
    return { deliveries: res.data.map(toDelivery), nextCursor: nextCursor(res.headers.link) };
  }

  async redeliver(deliveryId: number): Promise<void> {
    const octokit = this.appOctokit("redeliver a webhook");
    await this.call("POST app hook delivery attempt", () =>
      octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: deliveryId }),
    );
  }

  async createCheckRun(repo: RepoRef, check: CheckRunRequest): Promise<{ id: number }> {
    const octokit = this.octokit(repo);
    const res = await this.call("POST check run", () =>
      octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        owner: repo.owner,
        repo: repo.repo,
        name: check.name,
        head_sha: check.headSha,
        status: "completed",
        conclusion: check.conclusion,
        completed_at: new Date(this.clock.now()).toISOString(),
        output: { title: check.title, summary: check.summary },
      }),
    );
    return { id: Number(res.data.id) };
  }

  rateLimits(): RateLimitObservation[] {
    return this.clients.rateLimits();
  }

  private octokit(ref: RepoRef): GitHubOctokit {
    try {
      return this.clients.forInstallation(ref.installationId);
    } catch (e) {
      throw new GitHubError("invalid", 0, e instanceof Error ? e.message : String(e));
    }
  }

  private appOctokit(what: string): GitHubOctokit {
    const octokit = this.clients.forApp();
    if (!octokit) {
      throw new GitHubError("forbidden", 0, `to ${what} tornade must authenticate as a GitHub App, not a personal token`);
    }
    return octokit;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toGitHubError(e, operation, () => this.clock.now());
    }
  }
}

function toJob(j: ApiJob): WorkflowJob {
  return {
    id: Number(j.id),
    runId: Number(j.run_id),
    runAttempt: j.run_attempt ?? 1,
    name: j.name,
    status: j.status,
    conclusion: j.conclusion,
    labels: j.labels,
    headSha: j.head_sha,
    runnerId: j.runner_id,
    runnerName: j.runner_name,
    createdAt: time(j.created_at),
    startedAt: time(j.started_at),
    completedAt: time(j.completed_at),
  };
}

function toRun(r: ApiRun): WorkflowRun {
  return {
    id: Number(r.id),
    status: r.status,
    headSha: r.head_sha,
    runAttempt: r.run_attempt ?? 1,
    createdAt: time(r.created_at),
    workflowName: r.name ?? null,
    repository: {
      id: Number(r.repository.id),
      name: r.repository.name,
      fullName: r.repository.full_name,
      ownerLogin: r.repository.owner.login,
      private: r.repository.private,
      ...(r.repository.visibility === undefined ? {} : { visibility: r.repository.visibility }),
    },
  };
}

function toRunner(r: ApiRunner): Runner {
  return {
    id: Number(r.id),
    name: r.name,
    status: r.status === "online" ? "online" : "offline",
    busy: r.busy,
    labels: r.labels.map((l) => l.name),
  };
}

function toDelivery(d: ApiDelivery): WebhookDelivery {
  return {
    id: Number(d.id),
    guid: d.guid,
    deliveredAt: time(d.delivered_at),
    redelivery: d.redelivery,
    status: d.status,
    statusCode: d.status_code,
    event: d.event,
    action: d.action,
    installationId: d.installation_id === null ? null : Number(d.installation_id),
    repositoryId: d.repository_id === null ? null : Number(d.repository_id),
  };
}

function time(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The deliveries log pages by an opaque `cursor`, carried in the query of the `Link` header's rel="next" URL ("Using
 * pagination in the REST API"). The sweeper walks it a page at a time and stops early, so the cursor is handed back
 * rather than followed here.
 */
function nextCursor(link: string | undefined): string | undefined {
  const next = /<([^<>]+)>;\s*rel="next"/.exec(link ?? "")?.[1];
  if (!next) return undefined;
  try {
    return new URL(next, "https://api.github.com").searchParams.get("cursor") ?? undefined;
  } catch {
    return undefined;
  }
}
