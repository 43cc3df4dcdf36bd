/**
 * Check runs: `POST /repos/{owner}/{repo}/check-runs` ("REST API endpoints for check runs" → "Create a check run",
 * https://docs.github.com/en/rest/checks/runs#create-a-check-run). What tornade uses it for: a job it will not serve
 * gets a check run on the job's commit naming the reason (issue 4 point 8).
 *
 * Modelled as GitHub documents it:
 * - GitHub Apps only: "OAuth apps and personal access tokens (classic) cannot use this endpoint" → 403 for the PAT.
 * - The App needs the `checks: write` permission ("Permissions required for GitHub Apps" → "Checks"); without it
 *   GitHub answers 403 "Resource not accessible by integration".
 * - `name` and `head_sha` are required; `status` is queued (default) | in_progress | completed; `conclusion` is
 *   required when status is completed (or completed_at is given) and then makes the run completed; `output` needs
 *   `title` and `summary` (summary and text at most 65535 characters).
 * - A head_sha GitHub does not know is a 422 ("No commit found for SHA: …"); the sim knows the head commits of its
 *   workflow runs.
 * The 201 body is the `check-run` schema, checked against the OpenAPI subset by checks-routes.test.ts.
 */
import type { components } from "@octokit/openapi-types";
import { z } from "zod";
import type { SimContext } from "./context.js";
import { error, invalid, notFound, type Req, type Res, type Router } from "./http.js";
import { integrationBody } from "./app-routes.js";
import { iso } from "./payloads.js";
import { nodeId } from "./state.js";
import type { CheckRunRecord } from "./types.js";

type S = components["schemas"];
const DOCS_URL = "https://docs.github.com/rest/checks/runs#create-a-check-run";
/** GitHub's limit on `output.summary` and `output.text` (the published request schema's maxLength). */
const OUTPUT_MAX = 65_535;
const FIRST_CHECK_RUN_ID = 30_000_000_001;

const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"] as const;
const CreateCheckRun = z.object({
  name: z.string().min(1),
  head_sha: z.string().min(1),
  details_url: z.string().optional(),
  external_id: z.string().optional(),
  status: z.enum(["queued", "in_progress", "completed"]).optional(),
  started_at: z.iso.datetime({ offset: true }).optional(),
  conclusion: z.enum(CONCLUSIONS).optional(),
  completed_at: z.iso.datetime({ offset: true }).optional(),
  output: z
    .object({
      title: z.string(),
      summary: z.string().max(OUTPUT_MAX),
      text: z.string().max(OUTPUT_MAX).optional(),
      annotations: z.array(z.unknown()).max(50).optional(),
    })
    .optional(),
});

export function checkRunBody(ctx: SimContext, c: CheckRunRecord): S["check-run"] {
  const url = `${ctx.site.url}/repos/${ctx.site.owner}/${c.repo}/check-runs/${c.id}`;
  return {
    id: c.id,
    head_sha: c.headSha,
    node_id: c.nodeId,
    external_id: c.externalId ?? "",
    url,
    html_url: `${ctx.site.url}/${ctx.site.owner}/${c.repo}/runs/${c.id}`,
    details_url: c.detailsUrl ?? `${ctx.site.url}/apps/${ctx.site.appSlug}`,
    status: c.status,
    conclusion: c.conclusion as S["check-run"]["conclusion"],
    started_at: c.startedAt === null ? null : iso(c.startedAt),
    completed_at: c.completedAt === null ? null : iso(c.completedAt),
    output: {
      title: c.output.title,
      summary: c.output.summary,
      text: c.output.text,
      annotations_count: c.output.annotationsCount,
      annotations_url: `${url}/annotations`,
    },
    name: c.name,
    check_suite: { id: c.id + 1_000_000_000 },
    app: integrationBody(ctx),
    pull_requests: [],
  };
}

function create(ctx: SimContext, req: Req): Res {
  if (!req.actor.startsWith("installation:")) {
    return error(403, "Resource not accessible by personal access token", DOCS_URL);
  }
  if (!ctx.state.grants("checks", "write")) return error(403, "Resource not accessible by integration", DOCS_URL);
  const owner = req.params["owner"] ?? "";
  const repo = owner.toLowerCase() === ctx.site.owner.toLowerCase() ? ctx.state.findRepo(req.params["repo"] ?? "") : undefined;
  if (!repo) return notFound();
  const parsed = CreateCheckRun.safeParse(req.body);
  if (!parsed.success) return invalid(z.prettifyError(parsed.error));
  const b = parsed.data;
  const known = [...ctx.state.runs.values()].some((r) => r.repo.toLowerCase() === repo.name.toLowerCase() && r.headSha === b.head_sha);
  if (!known) return error(422, `No commit found for SHA: ${b.head_sha}`, DOCS_URL);
  // A conclusion (or completed_at) completes the run; "completed" without a conclusion is refused.
  const completed = b.status === "completed" || b.conclusion !== undefined || b.completed_at !== undefined;
  if (completed && b.conclusion === undefined) return invalid("conclusion is required when status is completed");
  // "You cannot change a check run conclusion to stale, only GitHub can set this." (Create a check run, parameters)
  if (b.conclusion === "stale") return invalid("conclusion stale can only be set by GitHub");
  const now = ctx.clock.now();
  const status = completed ? "completed" : (b.status ?? "queued");
  const id = FIRST_CHECK_RUN_ID + ctx.state.checkRuns.length;
  const record: CheckRunRecord = {
    id,
    nodeId: nodeId("CR_kwDO", id),
    repo: repo.name,
    name: b.name,
    headSha: b.head_sha,
    status,
    conclusion: b.conclusion ?? null,
    externalId: b.external_id ?? null,
    detailsUrl: b.details_url ?? null,
    startedAt: b.started_at ? Date.parse(b.started_at) : now,
    completedAt: completed ? (b.completed_at ? Date.parse(b.completed_at) : now) : null,
    output: {
      title: b.output?.title ?? null,
      summary: b.output?.summary ?? null,
      text: b.output?.text ?? null,
      annotationsCount: b.output?.annotations?.length ?? 0,
    },
    actor: req.actor,
    createdAt: now,
  };
  ctx.state.checkRuns.push(record);
  return { status: 201, body: checkRunBody(ctx, record) };
}

export function addCheckRunRoutes(router: Router, ctx: SimContext): void {
  // A check run is content a user sees on the commit: it counts against the content-creation secondary limit.
  router.add("POST", "/repos/{owner}/{repo}/check-runs", "installation", (req) => create(ctx, req), { creates: true });
}
