/**
 * The test bed's control surface: what a test (in process) or another process (HTTP under /_control, JSON) uses to
 * create workflow runs, read state and inject faults. Not part of GitHub's API.
 */
import { z } from "zod";
import type { components } from "@octokit/openapi-types";
import type { EndpointFault, SimContext, SimStats } from "./context.js";
import { emptyStats } from "./context.js";
import { error, intParam, notFound, type Req, type Res, type Router } from "./http.js";
import { iso, jobBody, runBody, runnerBody } from "./payloads.js";
import { jitConfigFor, registerRunner } from "./runners-routes.js";
import { checkRunBody } from "./checks-routes.js";
import type { PermissionLevel } from "./state.js";
import { newRunnerGroup, type RunnerGroup, type RunnerGroupAccess } from "./runner-groups.js";
import type { CreateRunInput, GitHubLimits, RepoVisibility, RunnerRecord } from "./types.js";
import { pingPayload, workflowJobPayload, type WorkflowJobAction, type WorkflowJobPayload } from "./webhook-payloads.js";
import type { DeliverySelector } from "./webhooks.js";
import type { ScaleSetControl } from "./scaleset/control.js";

type S = components["schemas"];
export type RunnerView = S["runner"] & { repo: string | null };
export interface RunView {
  id: number;
  runAttempt: number;
  repo: string;
  status: string | null;
  conclusion: string | null;
  jobs: S["job"][];
}
export interface DeliveryView {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  status: string;
  statusCode: number;
  redelivery: boolean;
  duplicate: boolean;
  jobId: number | null;
  deliveredAt: string;
}

export interface GitHubControl {
  /** The personal access token the sim accepts in place of an installation token (tornade's PAT fallback). */
  personalToken: string;
  /** Queues a run's jobs (sending `waiting` for jobs with an environment, then `queued`). */
  createRun(input: CreateRunInput): RunView;
  getRun(runId: number): RunView | undefined;
  cancelRun(runId: number): boolean;
  /** Same as the REST re-run: "in_progress" while the run runs, else the new job attempt. */
  rerunJob(jobId: number): "not_found" | "in_progress" | S["job"];
  getJob(jobId: number): S["job"] | undefined;
  listJobs(filter?: { status?: string; runId?: number }): S["job"][];
  listRunners(): RunnerView[];
  /**
   * JIT configs presented more than once to open a runner session (a single-use config run by two processes, or
   * twice by one), with the runner each names: the chaos run's proof that no config was used twice.
   */
  jitConfigReuses(): { runner: string; uses: number }[];
  /** A non-ephemeral runner (e.g. a `type=static` pool member) and its config for runSimulatedRunner. */
  createStaticRunner(opts: { name: string; labels: string[]; repo?: string; groupId?: number }): { runner: RunnerView; encodedJitConfig: string };
  /** An organization runner group; its repository access defaults to GitHub's for a new group (all, no public). */
  addRunnerGroup(name: string, access?: RunnerGroupAccess): RunnerGroup;
  listDeliveries(): DeliveryView[];
  /** Sets (or clears) the webhook URL; GitHub sends `ping` to a newly set URL. */
  setWebhookUrl(url: string | null): void;
  dropDeliveries(which: DeliverySelector, opts?: { record?: boolean }): void;
  duplicateDeliveries(which: DeliverySelector): void;
  delayDeliveries(ms: number, which: DeliverySelector): void;
  /** Holds the next `n` deliveries and sends them in reverse order (or after `windowMs` of clock time). */
  reorderDeliveries(n: number, windowMs?: number): void;
  clearFaults(): void;
  /** Answers `status` (5xx) to the next `times` requests on an endpoint (route = OpenAPI path template). */
  failEndpoint(f: EndpointFault): void;
  /** Adds real-time latency to answers (all, or one endpoint): makes concurrency limits reachable. */
  slowEndpoint(l: { method?: string; route?: string; ms: number }): void;
  setLimits(limits: Partial<GitHubLimits>): void;
  stats(): SimStats;
  resetStats(): void;
  /** Resolves once every queued webhook delivery has been attempted. */
  deliveriesIdle(): Promise<void>;
  /** Every check run created through the REST API, oldest first, as GitHub shows them, plus the repository. */
  listCheckRuns(): CheckRunView[];
  /** Makes a repository (created if new) public, private or internal; later payloads carry it. */
  setRepositoryVisibility(repo: string, visibility: RepoVisibility): void;
  /** The installation's `checks` permission: write (default), read or none (null); check-run creation needs write. */
  setChecksPermission(level: "write" | "read" | null): void;
  /**
   * One permission of the installation (actions, administration, organization_self_hosted_runners, checks, …): read,
   * write or none (null). A call that needs more answers 403 "Resource not accessible by integration", as GitHub does.
   */
  setPermission(name: string, level: PermissionLevel | null): void;
  /**
   * Which of the owner's repositories the installation covers ("Only select repositories"; created if new), or null
   * for all. GitHub answers 404 for the others: GET /repos/{owner}/{repo}/installation and every installation call.
   */
  setInstalledRepositories(repos: readonly string[] | null): void;
  /** The `workflow_job` body GitHub would deliver for the job's `action` now (e.g. to post it by hand). */
  workflowJobPayload(jobId: number, action: WorkflowJobAction): WorkflowJobPayload | undefined;
  /** The runner scale set service: its scale sets, jobs, options and faults (scaleset/control.ts). */
  scaleSets: ScaleSetControl;
}

export type CheckRunView = S["check-run"] & { repo: string };

export function createControl(ctx: SimContext, scaleSets: ScaleSetControl): GitHubControl {
  const runView = (id: number): RunView | undefined => {
    const run = ctx.state.runs.get(id);
    if (!run) return undefined;
    const body = runBody(ctx.site, ctx.state, run);
    return {
      id: run.id,
      runAttempt: run.attempt,
      repo: run.repo,
      status: body.status,
      conclusion: body.conclusion,
      jobs: ctx.state.jobsOfRun(run.id).map((j) => jobBody(ctx.site, ctx.state, j)),
    };
  };
  const runnerView = (r: RunnerRecord): RunnerView => ({ ...runnerBody(r), repo: r.repo });
  const control: GitHubControl = {
    get personalToken() {
      return ctx.personalToken;
    },
    set personalToken(t: string) {
      ctx.personalToken = t;
    },
    createRun(input) {
      const { run } = ctx.scheduler.createRun(input);
      return runView(run.id) as RunView;
    },
    getRun: runView,
    cancelRun: (id) => ctx.scheduler.cancelRun(id),
    rerunJob(id) {
      const r = ctx.scheduler.rerunJob(id);
      return typeof r === "string" ? r : jobBody(ctx.site, ctx.state, r);
    },
    getJob(id) {
      const j = ctx.state.jobs.get(id);
      return j ? jobBody(ctx.site, ctx.state, j) : undefined;
    },
    listJobs(filter = {}) {
      return [...ctx.state.jobs.values()]
        .filter((j) => (filter.status === undefined || j.status === filter.status) && (filter.runId === undefined || j.runId === filter.runId))
        .map((j) => jobBody(ctx.site, ctx.state, j));
    },
    listRunners: () => [...ctx.state.runners.values()].map(runnerView),
    jitConfigReuses: () => [...ctx.state.jitConfigUses.values()].filter((u) => u.uses > 1).map((u) => ({ ...u })),
    createStaticRunner({ name, labels, repo, groupId = 1 }) {
      const group = ctx.state.groups.get(groupId);
      if (!group) throw new Error(`runner group ${groupId} does not exist; create it with addRunnerGroup`);
      const scope = repo === undefined ? null : ctx.state.repo(repo).name;
      if (ctx.state.findRunnerByName(scope, name)) throw new Error(`a runner named ${name} already exists`);
      const r = registerRunner(ctx, { name, labels, group, scope, ephemeral: false });
      return { runner: runnerView(r), encodedJitConfig: jitConfigFor(ctx, r) };
    },
    addRunnerGroup(name, access) {
      const g = newRunnerGroup(Math.max(...ctx.state.groups.keys()) + 1, name, access);
      for (const repo of g.selectedRepositories) ctx.state.repo(repo);
      ctx.state.groups.set(g.id, g);
      // A group opened to more repositories may let a queued job onto an idle runner.
      ctx.scheduler.assign();
      return { ...g, selectedRepositories: [...g.selectedRepositories] };
    },
    listDeliveries: () =>
      ctx.hooks.deliveries.map((d) => ({
        id: d.id,
        guid: d.guid,
        event: d.event,
        action: d.action,
        status: d.status,
        statusCode: d.statusCode,
        redelivery: d.redelivery,
        duplicate: d.duplicate,
        jobId: d.jobId,
        deliveredAt: iso(d.deliveredAt),
      })),
    setWebhookUrl(url) {
      ctx.webhookUrl = url;
      if (url) {
        const payload = pingPayload(ctx.site, HOOK_ID, url, ctx.clock.now());
        ctx.hooks.send({ event: "ping", action: null, jobId: null, jobName: null }, payload as Record<string, unknown>, null, null);
      }
    },
    dropDeliveries: (which, opts) => ctx.hooks.addFault("drop", which, opts),
    duplicateDeliveries: (which) => ctx.hooks.addFault("duplicate", which),
    delayDeliveries: (ms, which) => ctx.hooks.addFault("delay", which, { ms }),
    reorderDeliveries: (n, windowMs) => ctx.hooks.addFault("reorder", n, windowMs === undefined ? {} : { ms: windowMs }),
    clearFaults() {
      scaleSets.clearFaults();
      ctx.hooks.clearFaults();
      ctx.endpointFaults.length = 0;
      ctx.latency.length = 0;
    },
    failEndpoint: (f) => void ctx.endpointFaults.push({ ...f, method: f.method.toUpperCase() }),
    slowEndpoint: (l) => void ctx.latency.push(l),
    setLimits: (limits) => ctx.limiter.setLimits({ ...ctx.limiter.config, ...limits }),
    stats: () => structuredClone(ctx.stats),
    resetStats: () => void (ctx.stats = emptyStats()),
    deliveriesIdle: () => ctx.hooks.idle(),
    listCheckRuns: () => ctx.state.checkRuns.map((c) => ({ ...checkRunBody(ctx, c), repo: c.repo })),
    setRepositoryVisibility: (repo, visibility) => void (ctx.state.repo(repo).visibility = visibility),
    setChecksPermission: (level) => control.setPermission("checks", level),
    setPermission(name, level) {
      if (level === null) ctx.state.permissions.delete(name);
      else ctx.state.permissions.set(name, level);
    },
    setInstalledRepositories(repos) {
      ctx.state.selectedRepos = repos === null ? null : new Set(repos.map((r) => ctx.state.repo(r).name.toLowerCase()));
    },
    workflowJobPayload(jobId, action) {
      const job = ctx.state.jobs.get(jobId);
      return job ? workflowJobPayload(ctx.site, ctx.state, job, action, ctx.clock.now()) : undefined;
    },
    scaleSets,
  };
  return control;
}

export const HOOK_ID = 470_000_001;

const RunInput = z.object({
  repo: z.string().min(1).optional(),
  workflowName: z.string().min(1).optional(),
  jobs: z
    .array(
      z.object({
        name: z.string().min(1),
        labels: z.array(z.string()).min(1),
        durationSeconds: z.number().nonnegative(),
        conclusion: z.enum(["success", "failure"]).optional(),
        environment: z.string().min(1).optional(),
      }),
    )
    .min(1),
});
const Match = z.object({ event: z.string().optional(), action: z.string().optional(), jobId: z.number().optional(), jobName: z.string().optional() });
const FaultInput = z.object({
  kind: z.enum(["drop", "duplicate", "delay", "reorder"]),
  count: z.number().int().positive().optional(),
  match: Match.optional(),
  ms: z.number().nonnegative().optional(),
  record: z.boolean().optional(),
});
const EndpointFaultInput = z.object({ method: z.string(), route: z.string(), status: z.number().int().min(400).max(599), times: z.number().int().positive() });

/** Runs `use` on a valid body, or answers 422 naming what is wrong. */
export function withBody<T>(schema: z.ZodType<T>, body: unknown, use: (v: T) => Res): Res {
  const r = schema.safeParse(body);
  return r.success ? use(r.data) : error(422, `Invalid control request: ${z.prettifyError(r.error)}`);
}

export function addControlRoutes(router: Router, ctx: SimContext, control: GitHubControl): void {
  const ok = (body: unknown, status = 200): Res => ({ status, body });
  router
    .add("POST", "/_control/runs", "none", (req: Req) => {
      return withBody(RunInput, req.body, (input) => ok(control.createRun(input), 201));
    })
    .add("GET", "/_control/runs/{run_id}", "none", (req) => {
      const v = control.getRun(intParam(req.params["run_id"]) ?? -1);
      return v ? ok(v) : notFound();
    })
    .add("POST", "/_control/runs/{run_id}/cancel", "none", (req) => ok({ cancelled: control.cancelRun(intParam(req.params["run_id"]) ?? -1) }))
    .add("GET", "/_control/jobs", "none", (req) => {
      const runId = intParam(req.query.get("run_id") ?? undefined);
      const status = req.query.get("status");
      return ok(control.listJobs({ ...(status ? { status } : {}), ...(runId !== null ? { runId } : {}) }));
    })
    .add("GET", "/_control/jobs/{job_id}", "none", (req) => {
      const j = control.getJob(intParam(req.params["job_id"]) ?? -1);
      return j ? ok(j) : notFound();
    })
    .add("POST", "/_control/jobs/{job_id}/rerun", "none", (req) => {
      const r = control.rerunJob(intParam(req.params["job_id"]) ?? -1);
      return r === "not_found" ? notFound() : r === "in_progress" ? error(403, "This workflow is already running") : ok(r, 201);
    })
    .add("GET", "/_control/runners", "none", () => ok(control.listRunners()))
    .add("GET", "/_control/jit-config-reuses", "none", () => ok(control.jitConfigReuses()))
    .add("POST", "/_control/runners", "none", (req) => {
      const schema = z.object({ name: z.string().min(1), labels: z.array(z.string()).min(1), repo: z.string().optional(), groupId: z.number().int().optional() });
      return withBody(schema, req.body, (input) => {
        try {
          return ok(control.createStaticRunner(input), 201);
        } catch (e) {
          return error(422, e instanceof Error ? e.message : String(e));
        }
      });
    })
    .add("POST", "/_control/runner-groups", "none", (req) => {
      const schema = z.object({
        name: z.string().min(1),
        visibility: z.enum(["all", "selected", "private"]).optional(),
        selectedRepositories: z.array(z.string().min(1)).optional(),
        allowsPublicRepositories: z.boolean().optional(),
      });
      return withBody(schema, req.body, ({ name, ...access }) => ok(control.addRunnerGroup(name, access), 201));
    })
    .add("GET", "/_control/deliveries", "none", () => ok(control.listDeliveries()))
    .add("GET", "/_control/deliveries/idle", "none", async () => {
      await control.deliveriesIdle();
      return ok({ idle: true });
    })
    .add("PUT", "/_control/webhook", "none", (req) => {
      return withBody(z.object({ url: z.url().nullable() }), req.body, (input) => {
        control.setWebhookUrl(input.url);
        return ok({ url: input.url });
      });
    })
    .add("POST", "/_control/faults", "none", (req) => {
      return withBody(FaultInput, req.body, (f) => {
        const which: DeliverySelector = f.count ?? f.match ?? 1;
        if (f.kind === "drop") control.dropDeliveries(which, f.record === undefined ? {} : { record: f.record });
        else if (f.kind === "duplicate") control.duplicateDeliveries(which);
        else if (f.kind === "delay") control.delayDeliveries(f.ms ?? 0, which);
        else control.reorderDeliveries(f.count ?? 2, f.ms);
        return ok({ added: f.kind }, 201);
      });
    })
    .add("DELETE", "/_control/faults", "none", () => {
      control.clearFaults();
      return { status: 204 };
    })
    .add("POST", "/_control/endpoint-faults", "none", (req) => {
      return withBody(EndpointFaultInput, req.body, (f) => {
        control.failEndpoint(f);
        return ok(f, 201);
      });
    })
    .add("POST", "/_control/latency", "none", (req) => {
      const schema = z.object({ method: z.string().optional(), route: z.string().optional(), ms: z.number().nonnegative() });
      return withBody(schema, req.body, (l) => {
        control.slowEndpoint(l);
        return ok(l, 201);
      });
    })
    .add("PUT", "/_control/limits", "none", (req) => {
      const schema = z
        .object({
          primaryPerHour: z.number(),
          pointsPerMinute: z.number(),
          readCost: z.number(),
          writeCost: z.number(),
          maxConcurrent: z.number(),
          contentCreationPerMinute: z.number(),
          contentCreationPerHour: z.number(),
          limitedStatus: z.union([z.literal(403), z.literal(429)]),
        })
        .partial();
      return withBody(schema, req.body, (l) => {
        control.setLimits(l);
        return ok(ctx.limiter.config);
      });
    })
    .add("GET", "/_control/stats", "none", () => ok(control.stats()))
    .add("DELETE", "/_control/stats", "none", () => {
      control.resetStats();
      return { status: 204 };
    })
    .add("GET", "/_control/check-runs", "none", () => ok(control.listCheckRuns()))
    .add("PUT", "/_control/repos/{repo}/visibility", "none", (req) => {
      return withBody(z.object({ visibility: z.enum(["public", "private", "internal"]) }), req.body, (v) => {
        control.setRepositoryVisibility(req.params["repo"] ?? "", v.visibility);
        return ok({ repo: req.params["repo"], visibility: v.visibility });
      });
    })
    .add("PUT", "/_control/checks-permission", "none", (req) => {
      return withBody(z.object({ level: z.enum(["write", "read"]).nullable() }), req.body, (v) => {
        control.setChecksPermission(v.level);
        return ok(v);
      });
    })
    .add("PUT", "/_control/permissions/{name}", "none", (req) => {
      return withBody(z.object({ level: z.enum(["write", "read"]).nullable() }), req.body, (v) => {
        control.setPermission(req.params["name"] ?? "", v.level);
        return ok({ name: req.params["name"], level: v.level });
      });
    })
    .add("PUT", "/_control/installed-repositories", "none", (req) => {
      return withBody(z.object({ repositories: z.array(z.string().min(1)).nullable() }), req.body, (v) => {
        control.setInstalledRepositories(v.repositories);
        return ok(v);
      });
    })
    .add("PUT", "/_control/personal-token", "none", (req) => {
      return withBody(z.object({ token: z.string().min(1) }), req.body, (t) => {
        control.personalToken = t.token;
        return { status: 204 };
      });
    });
}
