/**
 * The Actions service routes the admin token opens (client.go): runner groups by name, scale sets (list / get by name,
 * get by id, create, update, delete), message sessions (create, refresh, delete), JIT configs for a scale set, and
 * runners (`_apis/distributedtask/pools/0/agents`: get, find by name, remove). Message polling, acknowledgement and
 * acquirejobs, which the session's own token opens, are in message-routes.ts.
 */
import type { SimContext } from "../context.js";
import { intParam, type Res } from "../http.js";
import type { RunnerRecord } from "../types.js";
import type { ScaleSetBroker } from "./broker.js";
import { sameScope, type ScaleSetInput } from "./registry.js";
import type { ServiceReq, ServiceRoute } from "./service.js";
import type { LabelRecord, ScaleSetRecord, Scope } from "./types.js";
import { exception, runnerReference, scaleSetBody, sessionBody } from "./wire.js";

const RSS = "/_apis/runtime/runnerscalesets";
const AGENTS = "/_apis/distributedtask/pools/0/agents";

interface ScaleSetWire {
  name?: string;
  runnerGroupId?: number;
  labels?: LabelRecord[];
  RunnerSetting?: Record<string, boolean>;
}

export function adminRoutes(ctx: SimContext, broker: ScaleSetBroker): ServiceRoute[] {
  const scopeOf = (req: ServiceReq): Scope => {
    if (req.who.kind !== "admin") throw new Error("an admin route was reached without the admin token");
    return req.who.scope;
  };
  const notFound = (what: string) => exception(404, "RunnerScaleSetNotFoundException", `${what} was not found in this scope.`);
  const setOf = (req: ServiceReq): ScaleSetRecord | Res => {
    const id = intParam(req.params["scaleSetId"]);
    const set = id === null ? undefined : broker.registry.get(scopeOf(req), id);
    return set ?? notFound(`Runner scale set ${req.params["scaleSetId"]}`);
  };
  const groupName = (id: number) => ctx.state.groups.get(id)?.name ?? "Default";
  const body = (set: ScaleSetRecord) => scaleSetBody(set, groupName(set.groupId), broker.serviceUrl, broker.jobs.statistics(set));
  /** Runner groups a scope has: an organization all of its groups, a repository only Default. */
  const groupsIn = (scope: Scope) => [...ctx.state.groups.values()].filter((g) => scope.repo === null || g.id === 1);
  const runnersIn = (scope: Scope) => [...ctx.state.runners.values()].filter((r) => sameScope({ repo: r.repo }, scope));

  /** The members of a create or update body, checked against the scope; a Res when something is wrong. */
  const input = (scope: Scope, b: ScaleSetWire, creating: boolean, self?: ScaleSetRecord): Partial<ScaleSetInput> | Res => {
    const problems: string[] = [];
    if (creating && !b.name) problems.push("name is required");
    if (creating && !b.runnerGroupId) problems.push("runnerGroupId is required (find it with GET _apis/runtime/runnergroups/?groupName=NAME)");
    if (b.runnerGroupId && !groupsIn(scope).some((g) => g.id === b.runnerGroupId)) problems.push(`runner group ${b.runnerGroupId} does not exist in this scope`);
    if (b.labels?.some((l) => !l.name)) problems.push("every label needs a name");
    if (problems.length > 0) return exception(400, "ArgumentException", problems.join("; "));
    const name = b.name || self?.name || "";
    const groupId = b.runnerGroupId || self?.groupId || 0;
    const clash = broker.registry.named(scope, groupId, name);
    if (clash && clash !== self) return exception(409, "RunnerScaleSetExistsException", `A runner scale set named ${name} already exists in runner group ${groupName(groupId)}.`);
    return {
      ...(b.name ? { name: b.name } : {}),
      ...(b.runnerGroupId ? { groupId: b.runnerGroupId } : {}),
      ...(b.labels ? { labels: b.labels } : {}),
      ...(b.RunnerSetting ? { runnerSetting: b.RunnerSetting } : {}),
    };
  };

  const removeRunner = (r: RunnerRecord | undefined, id: string | undefined): Res => {
    if (!r) return exception(404, "AgentNotFoundException", `No runner with id ${id} in this scope.`);
    if (r.jobId !== null) return exception(409, "JobStillRunningException", `Runner ${r.name} is running job ${r.jobId}; remove it once the job ends.`);
    ctx.scheduler.removeRunner(r);
    return { status: 204 };
  };

  return [
    {
      method: "GET",
      template: "/_apis/runtime/runnergroups",
      auth: "admin",
      handler(req) {
        const name = req.query.get("groupName")?.toLowerCase();
        const scope = scopeOf(req);
        const groups = groupsIn(scope).filter((g) => name === undefined || g.name.toLowerCase() === name);
        const value = groups.map((g) => ({ id: g.id, name: g.name, size: runnersIn(scope).filter((r) => r.groupId === g.id).length, isDefaultGroup: g.id === 1 }));
        return { status: 200, body: { count: value.length, value } };
      },
    },
    {
      method: "GET",
      template: RSS,
      auth: "admin",
      handler(req) {
        const name = req.query.get("name")?.toLowerCase();
        const groupId = intParam(req.query.get("runnerGroupId") ?? undefined);
        const sets = broker.registry.inScope(scopeOf(req)).filter((s) => (name === undefined || s.name.toLowerCase() === name) && (groupId === null || s.groupId === groupId));
        return { status: 200, body: { count: sets.length, value: sets.map(body) } };
      },
    },
    {
      method: "POST",
      template: RSS,
      auth: "admin",
      handler(req) {
        const scope = scopeOf(req);
        const i = input(scope, req.body as ScaleSetWire, true);
        if ("status" in i) return i;
        const set = broker.registry.create(scope, { name: i.name ?? "", groupId: i.groupId ?? 1, labels: i.labels ?? [], runnerSetting: i.runnerSetting ?? {} });
        broker.jobs.adopt(set);
        return { status: 200, body: body(set) };
      },
    },
    {
      method: "GET",
      template: `${RSS}/{scaleSetId}`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        return "status" in set ? set : { status: 200, body: body(set) };
      },
    },
    {
      method: "PATCH",
      template: `${RSS}/{scaleSetId}`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        const i = input(set.scope, req.body as ScaleSetWire, false, set);
        if ("status" in i) return i;
        broker.registry.update(set, i);
        broker.jobs.adopt(set);
        return { status: 200, body: body(set) };
      },
    },
    {
      method: "DELETE",
      template: `${RSS}/{scaleSetId}`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        broker.deleteScaleSet(set);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      template: `${RSS}/{scaleSetId}/sessions`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        const owner = (req.body as { ownerName?: string }).ownerName;
        if (!owner) return exception(400, "ArgumentException", "ownerName is required (the listener's host name).");
        const s = broker.openSession(set, owner);
        if (s === "conflict") {
          return exception(409, "RunnerScaleSetSessionConflictException", `Runner scale set ${set.name} already has an active session, owned by ${set.session?.ownerName}.`);
        }
        return { status: 200, body: sessionBody(s, body(set), broker.queueUrl(set, s), broker.jobs.statistics(set)) };
      },
    },
    {
      method: "PATCH",
      template: `${RSS}/{scaleSetId}/sessions/{sessionId}`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        const s = broker.refreshSession(set, req.params["sessionId"] ?? "");
        if (!s) return exception(404, "RunnerScaleSetSessionNotFoundException", `Session ${req.params["sessionId"]} of runner scale set ${set.name} is gone; create a new one.`);
        return { status: 200, body: sessionBody(s, body(set), broker.queueUrl(set, s), broker.jobs.statistics(set)) };
      },
    },
    {
      method: "DELETE",
      template: `${RSS}/{scaleSetId}/sessions/{sessionId}`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        if (!broker.deleteSession(set, req.params["sessionId"] ?? "")) return exception(404, "RunnerScaleSetSessionNotFoundException", `No session ${req.params["sessionId"]} on runner scale set ${set.name}.`);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      template: `${RSS}/{scaleSetId}/generatejitconfig`,
      auth: "admin",
      handler(req) {
        const set = setOf(req);
        if ("status" in set) return set;
        const b = req.body as { name?: string; workFolder?: string };
        if (!b.name) return exception(400, "ArgumentException", "name is required: the runner's name, unique in the scope.");
        const jit = broker.generateJitConfig(set, b.name, b.workFolder ?? "");
        if (jit === "exists") return exception(409, "AgentExistsException", `A runner named ${b.name} already exists.`);
        return { status: 200, body: { runner: runnerReference(jit.runner), encodedJITConfig: jit.encoded } };
      },
    },
    {
      method: "GET",
      template: AGENTS,
      auth: "admin",
      handler(req) {
        const name = req.query.get("agentName")?.toLowerCase();
        const found = runnersIn(scopeOf(req)).filter((r) => name === undefined || r.name.toLowerCase() === name);
        return { status: 200, body: { count: found.length, value: found.map(runnerReference) } };
      },
    },
    {
      method: "GET",
      template: `${AGENTS}/{runnerId}`,
      auth: "admin",
      handler(req) {
        const r = runnersIn(scopeOf(req)).find((x) => x.id === intParam(req.params["runnerId"]));
        return r ? { status: 200, body: runnerReference(r) } : exception(404, "AgentNotFoundException", `No runner with id ${req.params["runnerId"]} in this scope.`);
      },
    },
    {
      method: "DELETE",
      template: `${AGENTS}/{runnerId}`,
      auth: "admin",
      handler: (req) => removeRunner(runnersIn(scopeOf(req)).find((x) => x.id === intParam(req.params["runnerId"])), req.params["runnerId"]),
    },
  ];
}
