/**
 * GitHub's App manifest flow ("Registering a GitHub App from a manifest", docs.github.com):
 * - the web pages POST /settings/apps/new and POST /organizations/{org}/settings/apps/new take a form field
 *   `manifest` (JSON) and, once the person confirms, redirect to the manifest's `redirect_url` with `?code=&state=`;
 * - POST /app-manifests/{code}/conversions (no authentication) trades the code, once and within one hour, for the
 *   App: its id, `pem` private key, `webhook_secret`, client id and secret (answer checked against the OpenAPI subset).
 *
 * Simplifications, each visible to a test: the confirmation page is skipped (the POST redirects at once), and the
 * simulator has ONE App — the conversion hands out that App's id, key and webhook secret (so the key mints tokens
 * here) under the manifest's name, permissions and events.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "./context.js";
import { isRecord, notFound, type Router } from "./http.js";
import { iso, simpleUser } from "./payloads.js";

/** "The temporary code … expires after one hour" (Registering a GitHub App from a manifest, step 3). */
const CODE_TTL_MS = 60 * 60 * 1000;

interface Manifest {
  name: string;
  url: string;
  hookUrl: string | null;
  redirectUrl: string | null;
  description: string | null;
  permissions: Record<string, string>;
  events: string[];
}

interface Pending {
  manifest: Manifest;
  org: string | null;
  at: number;
}

export interface ManifestFlow {
  /** True when the request is one of the flow's web pages; it is then answered here. */
  serveWeb(req: IncomingMessage, res: ServerResponse): boolean;
}

const WEB = /^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new$/;

/** Checks the members GitHub documents as required (name, url, hook_attributes.url when a hook is given). */
function parseManifest(raw: string | null): Manifest | string {
  if (raw === null) return "missing form field manifest";
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return "manifest is not JSON";
  }
  if (!isRecord(m)) return "manifest must be a JSON object";
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const name = str(m["name"]);
  const url = str(m["url"]);
  if (!name || name.length > 34) return "name is required (at most 34 characters)";
  if (!url || !URL.canParse(url)) return "url is required";
  const hook = m["hook_attributes"];
  const hookUrl = isRecord(hook) ? str(hook["url"]) : null;
  if (hook !== undefined && (!hookUrl || !URL.canParse(hookUrl))) return "hook_attributes.url is required";
  const redirectUrl = str(m["redirect_url"]);
  if (redirectUrl !== null && !URL.canParse(redirectUrl)) return "redirect_url must be a URL";
  const perms = m["default_permissions"];
  const permissions: Record<string, string> = {};
  if (perms !== undefined && !isRecord(perms)) return "default_permissions must be an object";
  for (const [k, v] of Object.entries(perms ?? {})) {
    if (v !== "read" && v !== "write") return `default_permissions.${k} must be read or write`;
    permissions[k] = v;
  }
  const events = m["default_events"] ?? [];
  if (!Array.isArray(events) || !events.every((e): e is string => typeof e === "string")) return "default_events must be strings";
  return { name, url, hookUrl, redirectUrl, description: str(m["description"]), permissions, events };
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

export function createManifestFlow(ctx: SimContext, app: { privateKeyPem: string; webhookSecret: string }): ManifestFlow & { addRoutes(api: Router): void } {
  const codes = new Map<string, Pending>();

  const page = (res: ServerResponse, status: number, text: string) => {
    if (!res.destroyed) res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
  };

  async function web(req: IncomingMessage, res: ServerResponse, url: URL, org: string | null): Promise<void> {
    if ((req.method ?? "GET").toUpperCase() !== "POST") return page(res, 405, "the simulator accepts manifests by POST only");
    if (org !== null && org.toLowerCase() !== ctx.site.owner.toLowerCase()) return page(res, 404, "Not Found");
    const parsed = parseManifest((await formBody(req)).get("manifest"));
    if (typeof parsed === "string") return page(res, 422, `Invalid GitHub App manifest: ${parsed}`);
    const code = randomBytes(20).toString("hex");
    codes.set(code, { manifest: parsed, org, at: ctx.clock.now() });
    // GitHub sends the person to redirect_url; without one it shows the new App's page (modelled as 200 + the code).
    if (parsed.redirectUrl === null) return page(res, 200, `App created; code ${code}`);
    const to = new URL(parsed.redirectUrl);
    to.searchParams.set("code", code);
    const state = url.searchParams.get("state");
    if (state !== null) to.searchParams.set("state", state);
    if (!res.destroyed) res.writeHead(302, { location: to.toString() }).end();
  }

  return {
    serveWeb(req, res) {
      const url = new URL(req.url ?? "/", ctx.site.url);
      const m = WEB.exec(url.pathname);
      if (!m) return false;
      web(req, res, url, m[1] === undefined ? null : decodeURIComponent(m[1])).catch((e: unknown) => page(res, 500, `Simulator error: ${String(e)}`));
      return true;
    },
    addRoutes(api) {
      api.add("POST", "/app-manifests/{code}/conversions", "none", (req) => {
        const code = req.params["code"] ?? "";
        const p = codes.get(code);
        codes.delete(code);
        if (!p || ctx.clock.now() - p.at > CODE_TTL_MS) return notFound();
        const slug = p.manifest.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "app";
        const owner = p.org === null ? simpleUser(ctx.site, "sim-user", ctx.site.ownerId + 1, "User") : simpleUser(ctx.site);
        const now = iso(ctx.clock.now());
        return {
          status: 201,
          body: {
            id: ctx.site.appId,
            slug,
            node_id: `A_kwDO${ctx.site.appId}`,
            client_id: ctx.site.clientId,
            owner,
            name: p.manifest.name,
            description: p.manifest.description,
            external_url: p.manifest.url,
            html_url: `${ctx.site.url}/apps/${slug}`,
            created_at: now,
            updated_at: now,
            // GitHub grants metadata: read to every App.
            permissions: { metadata: "read", ...p.manifest.permissions },
            events: p.manifest.events,
            installations_count: 0,
            client_secret: randomBytes(20).toString("hex"),
            webhook_secret: p.manifest.hookUrl === null ? null : app.webhookSecret,
            pem: app.privateKeyPem,
          },
        };
      });
    },
  };
}
