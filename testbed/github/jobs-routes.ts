/**
 * Workflow jobs and runs ("REST API endpoints for workflow jobs" and "... for workflow runs", docs.github.com/en/rest/
 * actions): get a job, list a run's jobs (filter latest|all), list runs by status, get a run, re-run a job (403 while
 * the run is in progress; 201 with an empty object otherwise), cancel a run (202; 409 once completed).
 */
import type { SimContext } from "./context.js";
import { error, intParam, notFound, pageLinks, pageOf, type Req, type Res, type Router } from "./http.js";
import { jobBody, runBody, runStatus } from "./payloads.js";
import type { JobRecord, RunRecord } from "./types.js";

function repoOf(ctx: SimContext, req: Req): string | undefined {
  const owner = req.params["owner"];
  if (!owner || owner.toLowerCase() !== ctx.site.owner.toLowerCase()) return undefined;
  return ctx.state.findRepo(req.params["repo"] ?? "")?.name;
}

function runIn(ctx: SimContext, req: Req): RunRecord | undefined {
  const repo = repoOf(ctx, req);
  const id = intParam(req.params["run_id"]);
  const run = id === null ? undefined : ctx.state.runs.get(id);
  return run && repo && run.repo.toLowerCase() === repo.toLowerCase() ? run : undefined;
}

function jobIn(ctx: SimContext, req: Req): JobRecord | undefined {
  const repo = repoOf(ctx, req);
  const id = intParam(req.params["job_id"]);
  const job = id === null ? undefined : ctx.state.jobs.get(id);
  const run = job ? ctx.state.runs.get(job.runId) : undefined;
  return job && run && repo && run.repo.toLowerCase() === repo.toLowerCase() ? job : undefined;
}

const path = (req: Req, tail: string) => `/repos/${req.params["owner"]}/${req.params["repo"]}${tail}`;

export function addJobRoutes(router: Router, ctx: SimContext): void {
  router
    .add("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}", "installation", (req) => {
      const job = jobIn(ctx, req);
      return job ? { status: 200, body: jobBody(ctx.site, ctx.state, job) } : notFound();
    })
    .add("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", "installation", (req) => {
      const run = runIn(ctx, req);
      if (!run) return notFound();
      const filter = req.query.get("filter") ?? "latest";
      const all = filter === "all" ? ctx.state.jobsOfRun(run.id) : ctx.state.latestJobsOfRun(run.id);
      return {
        status: 200,
        body: { total_count: all.length, jobs: pageOf(all, req.query).map((j) => jobBody(ctx.site, ctx.state, j)) },
        headers: pageLinks(ctx.site.url, path(req, `/actions/runs/${run.id}/jobs`), req.query, all.length),
      };
    })
    .add("GET", "/repos/{owner}/{repo}/actions/runs", "installation", (req) => {
      const repo = repoOf(ctx, req);
      if (!repo) return notFound();
      const status = req.query.get("status");
      const runs = [...ctx.state.runs.values()]
        .filter((r) => r.repo.toLowerCase() === repo.toLowerCase())
        .filter((r) => {
          if (status === null) return true;
          const s = runStatus(ctx.state, r);
          return s.status === status || s.conclusion === status;
        })
        .sort((a, b) => b.id - a.id);
      return {
        status: 200,
        body: { total_count: runs.length, workflow_runs: pageOf(runs, req.query).map((r) => runBody(ctx.site, ctx.state, r)) },
        headers: pageLinks(ctx.site.url, path(req, "/actions/runs"), req.query, runs.length),
      };
    })
    .add("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", "installation", (req) => {
      const run = runIn(ctx, req);
      return run ? { status: 200, body: runBody(ctx.site, ctx.state, run) } : notFound();
    })
    .add("POST", "/repos/{owner}/{repo}/actions/jobs/{job_id}/rerun", "installation", (req): Res => {
      const job = jobIn(ctx, req);
      if (!job) return notFound();
      const r = ctx.scheduler.rerunJob(job.id);
      if (r === "not_found") return notFound();
      // The operation's published responses are 201 and 403; GitHub refuses a re-run while the run is running.
      if (r === "in_progress") return error(403, "This workflow is already running", "https://docs.github.com/rest/actions/workflow-runs#re-run-a-job-from-a-workflow-run");
      return { status: 201, body: {} };
    })
    .add("POST", "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel", "installation", (req): Res => {
      const run = runIn(ctx, req);
      if (!run) return notFound();
      if (!ctx.scheduler.cancelRun(run.id)) return error(409, "Cannot cancel a workflow run that is completed.");
      return { status: 202, body: {} };
    });
}
