/** A small router keyed by OpenAPI path templates, so stats, limits and faults all speak GitHub's route names. */
import type { IncomingMessage } from "node:http";

export type AuthKind = "app" | "installation" | "none";

export interface Req {
  method: string;
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage["headers"];
  /** Who is asking: "installation:1", "pat", "app"; set by the server after authentication. */
  actor: string;
  /** Fires when the client goes away (long polls stop waiting). */
  closed: AbortSignal;
}

export interface Res {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: Req) => Res | Promise<Res>;

interface Route {
  method: string;
  template: string;
  auth: AuthKind;
  regex: RegExp;
  names: string[];
  handler: Handler;
  /** Creates content (counts against the content-creation secondary limit). */
  creates: boolean;
  /** The installation permission the call needs ("Permissions required for GitHub Apps"), if any. */
  needs?: Permission;
}

/** A GitHub App permission and the level a call needs, e.g. ["administration", "write"]. */
export type Permission = readonly [name: string, level: "read" | "write"];

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, auth: AuthKind, handler: Handler, opts: { creates?: boolean; needs?: Permission } = {}): this {
    const names: string[] = [];
    const pattern = template.replace(/\./g, "\\.").replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    const route: Route = { method, template, auth, regex: new RegExp(`^${pattern}$`), names, handler, creates: opts.creates ?? false };
    if (opts.needs) route.needs = opts.needs;
    this.routes.push(route);
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | null {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? "")));
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

export const DOCS = "https://docs.github.com/rest";

/**
 * The REST path of a request: GitHub Enterprise Server serves the REST API under /api/v3 of its host, and GitHub's
 * scale set client calls it there for any host that is not github.com (config.go, GitHubAPIURL). The sim answers
 * both, so one port plays api.github.com and a GHES host at once.
 */
export function restPath(pathname: string): string {
  return pathname === "/api/v3" || pathname.startsWith("/api/v3/") ? pathname.slice("/api/v3".length) || "/" : pathname;
}

export function error(status: number, message: string, documentation_url = DOCS, extra: Record<string, unknown> = {}): Res {
  return { status, body: { message, documentation_url, status: String(status), ...extra } };
}

export const notFound = (): Res => error(404, "Not Found");

/** GitHub's 422 for a body that fails its schema. */
export function invalid(detail: string): Res {
  return error(422, `Invalid request.\n\n${detail}`);
}

export function intParam(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `per_page` (max 100, default 30) and `page` (from 1), as GitHub's offset pagination has them. */
export function pageOf<T>(items: T[], query: URLSearchParams): T[] {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  return items.slice((page - 1) * perPage, page * perPage);
}

/** The Link header of offset pagination ("Using pagination in the REST API"). */
export function pageLinks(baseUrl: string, path: string, query: URLSearchParams, total: number): Record<string, string> {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(query);
    q.set("per_page", String(perPage));
    q.set("page", String(p));
    return `<${baseUrl}${path}?${q.toString()}>; rel="${rel}"`;
  };
  const parts: string[] = [];
  if (page < last) parts.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) parts.push(link(1, "first"), link(page - 1, "prev"));
  return parts.length ? { link: parts.join(", ") } : {};
}

/** What "no body" looks like after the various HTTP layers have had their say (the spec checks of both services). */
export function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === null || body === "" || (body instanceof Uint8Array && body.length === 0);
}
