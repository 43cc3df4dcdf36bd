/**
 * App-level endpoints ("REST API endpoints for GitHub Apps" and "... for webhooks of a GitHub App"): the App, its
 * installations, installation access tokens, and the webhook deliveries log with cursor pagination and redelivery.
 */
import type { SimContext } from "./context.js";
import { intParam, notFound, type Req, type Res, type Router } from "./http.js";
import { installationBody, iso, simpleUser, type InstallationAccess } from "./payloads.js";
import type { DeliveryRecord } from "./types.js";

function installationFor(ctx: SimContext, owner: string | undefined): Res {
  if (!owner || owner.toLowerCase() !== ctx.site.owner.toLowerCase()) return notFound();
  return { status: 200, body: installationBody(ctx.site, ctx.createdAt, accessOf(ctx)) };
}

/** The installation's permissions and repository selection as they stand (control.setPermission / setInstalledRepositories). */
export function accessOf(ctx: SimContext): InstallationAccess {
  return {
    permissions: Object.fromEntries(ctx.state.permissions),
    repositorySelection: ctx.state.selectedRepos === null ? "all" : "selected",
  };
}

function deliveryItem(d: DeliveryRecord) {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: iso(d.deliveredAt),
    redelivery: d.redelivery,
    duration: d.duration,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: d.installationId,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

/** GitHub pages the deliveries log with an opaque `cursor` in the Link header ("Using pagination in the REST API"). */
function listDeliveries(ctx: SimContext, req: Req): Res {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
  const cursor = req.query.get("cursor");
  let before = Number.POSITIVE_INFINITY;
  if (cursor) {
    const n = Number(Buffer.from(cursor, "base64url").toString("utf8").replace(/^v1_/, ""));
    if (!Number.isSafeInteger(n)) return { status: 422, body: { message: "Invalid cursor", documentation_url: "https://docs.github.com/rest" } };
    before = n;
  }
  const status = req.query.get("status");
  const redelivery = req.query.get("redelivery");
  const all = [...ctx.hooks.deliveries]
    .filter((d) => d.id < before)
    .filter((d) => status === null || (status === "success") === (d.statusCode >= 200 && d.statusCode < 300))
    .filter((d) => redelivery === null || String(d.redelivery) === redelivery)
    .sort((a, b) => b.id - a.id);
  const page = all.slice(0, perPage);
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  if (all.length > perPage && last) {
    const q = new URLSearchParams(req.query);
    q.set("per_page", String(perPage));
    q.set("cursor", Buffer.from(`v1_${last.id}`).toString("base64url"));
    headers["link"] = `<${ctx.site.url}/app/hook/deliveries?${q.toString()}>; rel="next"`;
  }
  return { status: 200, body: page.map(deliveryItem), headers };
}

/** The sim's App as GET /app and a check run's `app` show it. */
export function integrationBody(ctx: SimContext) {
  return {
    id: ctx.site.appId,
    slug: ctx.site.appSlug,
    client_id: ctx.site.clientId,
    node_id: `A_kwDO${ctx.site.appId}`,
    owner: simpleUser(ctx.site),
    name: ctx.site.appSlug,
    description: "Simulated tornade App",
    external_url: ctx.site.url,
    html_url: `${ctx.site.url}/apps/${ctx.site.appSlug}`,
    created_at: iso(ctx.createdAt),
    updated_at: iso(ctx.createdAt),
    permissions: accessOf(ctx).permissions,
    events: ["workflow_job"],
    installations_count: 1,
  };
}

export function addAppRoutes(router: Router, ctx: SimContext): void {
  router
    .add("GET", "/app", "app", () => ({ status: 200, body: integrationBody(ctx) }))
    .add("GET", "/app/installations", "app", () => ({ status: 200, body: [installationBody(ctx.site, ctx.createdAt, accessOf(ctx))] }))
    .add("GET", "/app/installations/{installation_id}", "app", (req) =>
      intParam(req.params["installation_id"]) === ctx.site.installationId
        ? { status: 200, body: installationBody(ctx.site, ctx.createdAt, accessOf(ctx)) }
        : notFound(),
    )
    .add("POST", "/app/installations/{installation_id}/access_tokens", "app", (req) => {
      if (intParam(req.params["installation_id"]) !== ctx.site.installationId) return notFound();
      const { token, expiresAt } = ctx.tokens.issue(ctx.site.installationId, ctx.clock.now());
      ctx.stats.tokensIssued++;
      return {
        status: 201,
        body: {
          token,
          expires_at: iso(expiresAt),
          permissions: accessOf(ctx).permissions,
          repository_selection: accessOf(ctx).repositorySelection,
        },
      };
    })
    // GitHub answers 404 for a repository the App is not installed on, as for one that does not exist.
    .add("GET", "/repos/{owner}/{repo}/installation", "app", (req) =>
      ctx.state.coversRepo(req.params["repo"] ?? "") ? installationFor(ctx, req.params["owner"]) : notFound(),
    )
    .add("GET", "/orgs/{org}/installation", "app", (req) => installationFor(ctx, req.params["org"]))
    .add("GET", "/app/hook/deliveries", "app", (req) => listDeliveries(ctx, req))
    .add("GET", "/app/hook/deliveries/{delivery_id}", "app", (req) => {
      const d = ctx.hooks.deliveries.find((x) => x.id === intParam(req.params["delivery_id"]));
      if (!d) return notFound();
      return {
        status: 200,
        body: {
          ...deliveryItem(d),
          url: ctx.webhookUrl ?? "",
          request: { headers: d.requestHeaders, payload: d.payload },
          response: { headers: d.responseHeaders, payload: d.responseBody },
        },
      };
    })
    .add("POST", "/app/hook/deliveries/{delivery_id}/attempts", "app", (req) => {
      const id = intParam(req.params["delivery_id"]);
      if (id === null || !ctx.hooks.redeliver(id)) return notFound();
      // 202 Accepted: the redelivery is queued, not awaited.
      return { status: 202, body: {} };
    });
}
