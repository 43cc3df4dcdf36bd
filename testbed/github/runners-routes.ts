/**
 * Self-hosted runner endpoints, repository and organization forms ("REST API endpoints for self-hosted runners",
 * docs.github.com/en/rest/actions/self-hosted-runners): generate-jitconfig, registration-token, remove-token, list,
 * get, delete.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { SimContext } from "./context.js";
import { error, intParam, invalid, isRecord, notFound, pageLinks, pageOf, type Req, type Res, type Router } from "./http.js";
import { encodeJitConfig, simulatedRsaParameters } from "./jitconfig.js";
import { iso, runnerBody } from "./payloads.js";
import type { RunnerRecord } from "./types.js";

/** Resolves the runner scope named by the path: a repository name, null for the organization, or undefined (404). */
export function scopeOf(ctx: SimContext, req: Req): string | null | undefined {
  const owner = req.params["owner"] ?? req.params["org"];
  if (!owner || owner.toLowerCase() !== ctx.site.owner.toLowerCase()) return undefined;
  const repo = req.params["repo"];
  if (repo === undefined) return null;
  return ctx.state.findRepo(repo)?.name;
}

function generateJitConfig(ctx: SimContext, req: Req): Res {
  const scope = scopeOf(ctx, req);
  if (scope === undefined) return notFound();
  const b = req.body;
  if (!isRecord(b)) return invalid("The request body must be a JSON object.");
  // Required members and bounds from the operation's request schema (actions/generate-runner-jitconfig-for-repo).
  for (const key of ["name", "runner_group_id", "labels"]) {
    if (!(key in b)) return invalid(`"${key}" wasn't supplied.`);
  }
  const { name, runner_group_id: groupId, labels, work_folder: workFolder } = b;
  if (typeof name !== "string" || name.length === 0) return invalid(`For 'properties/name', ${JSON.stringify(name)} is not a string.`);
  if (typeof groupId !== "number" || !Number.isInteger(groupId)) {
    return invalid(`For 'properties/runner_group_id', ${JSON.stringify(groupId)} is not an integer.`);
  }
  if (!Array.isArray(labels) || !labels.every((l): l is string => typeof l === "string")) {
    return invalid(`For 'properties/labels', ${JSON.stringify(labels)} is not an array of strings.`);
  }
  if (labels.length < 1) return invalid("For 'properties/labels', [] has fewer items than the minimum of 1.");
  if (labels.length > 100) return invalid(`For 'properties/labels', the array has more items than the maximum of 100.`);
  if (workFolder !== undefined && typeof workFolder !== "string") return invalid("For 'properties/work_folder', it is not a string.");
  const group = ctx.state.groups.get(groupId);
  if (!group) return notFound();
  if (ctx.state.findRunnerByName(scope, name)) return error(409, `Already exists - A runner with the name ${name} already exists.`);
  const runner = registerRunner(ctx, { name, labels, group, scope, ephemeral: true });
  return { status: 201, body: { runner: runnerBody(runner), encoded_jit_config: jitConfigFor(ctx, runner, workFolder ?? "_work") } };
}

/** Registers a runner (offline until it opens a session) with fresh credentials; JIT runners are ephemeral. */
export function registerRunner(
  ctx: SimContext,
  r: { name: string; labels: readonly string[]; group: { id: number; name: string }; scope: string | null; ephemeral: boolean; scaleSetId?: number },
): RunnerRecord {
  const now = ctx.clock.now();
  const runner: RunnerRecord = {
    id: ctx.state.runnerId(),
    name: r.name,
    labels: [...r.labels],
    groupId: r.group.id,
    groupName: r.group.name,
    repo: r.scope,
    ephemeral: r.ephemeral,
    scaleSetId: r.scaleSetId ?? null,
    clientId: randomUUID(),
    clientSecret: randomBytes(32).toString("base64url"),
    sessionId: null,
    jobId: null,
    lastSeen: now,
    createdAt: now,
    idleSince: 0,
  };
  ctx.state.runners.set(runner.id, runner);
  return runner;
}

export function jitConfigFor(ctx: SimContext, runner: RunnerRecord, workFolder = "_work"): string {
  const scopeUrl = `${ctx.site.url}/${ctx.site.owner}${runner.repo ? `/${runner.repo}` : ""}`;
  return encodeJitConfig(
    {
      runner: {
        agentId: runner.id,
        agentName: runner.name,
        poolId: runner.groupId,
        poolName: runner.groupName,
        serverUrl: `${ctx.site.url}/_runner`,
        gitHubUrl: scopeUrl,
        workFolder,
        ephemeral: runner.ephemeral,
      },
      credentials: {
        scheme: "OAuth",
        data: {
          clientId: runner.clientId,
          clientSecret: runner.clientSecret,
          authorizationUrl: `${ctx.site.url}/_runner/oauth2/token`,
          requireFipsCryptography: "False",
        },
      },
    },
    // The real file holds the runner's RSA key parameters; the sim's runner authenticates with the secret instead.
    simulatedRsaParameters(),
  );
}

/** Registration and remove tokens: 29 upper-case characters valid one hour ("Create a registration token").
 *  Registration tokens are remembered: `POST /actions/runner-registration` accepts them (scaleset/registration.ts). */
function runnerToken(ctx: SimContext, req: Req, kind: "registration" | "remove"): Res {
  const scope = scopeOf(ctx, req);
  if (scope === undefined) return notFound();
  const token = randomBytes(32).toString("base64").replace(/[^A-Z0-9]/gi, "").toUpperCase().slice(0, 29);
  const expiresAt = ctx.clock.now() + 3_600_000;
  if (kind === "registration") ctx.state.registrationTokens.set(token, { repo: scope, expiresAt });
  return { status: 201, body: { token, expires_at: iso(expiresAt) } };
}

function listRunners(ctx: SimContext, req: Req, path: string): Res {
  const scope = scopeOf(ctx, req);
  if (scope === undefined) return notFound();
  const name = req.query.get("name");
  const all = ctx.state.runnersIn(scope).filter((r) => name === null || r.name === name).sort((a, b) => a.id - b.id);
  return {
    status: 200,
    body: { total_count: all.length, runners: pageOf(all, req.query).map(runnerBody) },
    headers: pageLinks(ctx.site.url, path, req.query, all.length),
  };
}

function findRunner(ctx: SimContext, req: Req): RunnerRecord | undefined {
  const scope = scopeOf(ctx, req);
  const id = intParam(req.params["runner_id"]);
  if (scope === undefined || id === null) return undefined;
  const r = ctx.state.runners.get(id);
  return r && (r.repo?.toLowerCase() ?? null) === (scope?.toLowerCase() ?? null) ? r : undefined;
}

function deleteRunner(ctx: SimContext, req: Req): Res {
  const r = findRunner(ctx, req);
  if (!r) return notFound();
  if (r.jobId !== null) return error(422, `Bad request - Runner "${r.name}" is still running a job"`);
  ctx.scheduler.removeRunner(r);
  return { status: 204 };
}

export function addRunnerRoutes(router: Router, ctx: SimContext): void {
  // Repository runners need the Administration permission, organization runners "Self-hosted runners"
  // ("Permissions required for GitHub Apps" → "Self-hosted runners"); reading needs read, the rest write.
  for (const [base, permission] of [
    ["/repos/{owner}/{repo}/actions/runners", "administration"],
    ["/orgs/{org}/actions/runners", "organization_self_hosted_runners"],
  ] as const) {
    const read = { needs: [permission, "read"] } as const;
    const write = { needs: [permission, "write"] } as const;
    router
      .add("POST", `${base}/generate-jitconfig`, "installation", (r) => generateJitConfig(ctx, r), { creates: true, ...write })
      .add("POST", `${base}/registration-token`, "installation", (r) => runnerToken(ctx, r, "registration"), { creates: true, ...write })
      .add("POST", `${base}/remove-token`, "installation", (r) => runnerToken(ctx, r, "remove"), { creates: true, ...write })
      .add(
        "GET",
        base,
        "installation",
        (r) => listRunners(ctx, r, base.replace("{owner}", r.params["owner"] ?? "").replace("{repo}", r.params["repo"] ?? "").replace("{org}", r.params["org"] ?? "")),
        read,
      )
      .add(
        "GET",
        `${base}/{runner_id}`,
        "installation",
        (r) => {
          const runner = findRunner(ctx, r);
          return runner ? { status: 200, body: runnerBody(runner) } : notFound();
        },
        read,
      )
      .add("DELETE", `${base}/{runner_id}`, "installation", (r) => deleteRunner(ctx, r), write);
  }
}
