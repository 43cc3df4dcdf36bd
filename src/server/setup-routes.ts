/**
 * The setup wizard: GET /setup (form → manifest review → POST to GitHub) and GET /setup/callback (code → App
 * credentials → file). See src/setup/manifest.ts for the flow and its published source.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Context, Hono } from "hono";
import { ConversionError, convertManifestCode } from "../setup/conversion.js";
import { CredentialsFileExists, writeCredentialsFile } from "../setup/credentials.js";
import { APP_NAME_MAX, GITHUB_LOGIN, buildManifest, githubWebUrl, manifestFormAction, type RunnerScope } from "../setup/manifest.js";
import { donePage, errorPage, reviewPage, startPage } from "../setup/pages.js";
import type { ServerContext } from "./context.js";

export interface SetupOptions {
  /** Where the credentials are written. Default: tornade-github-app.json beside the SQLite store (cwd in the sandbox). */
  readonly credentialsPath?: string;
  /** For tests: the fetch used for the code exchange. */
  readonly fetch?: typeof fetch;
}

/** GitHub's manifest code lives one hour ("Registering a GitHub App from a manifest"); our state lives as long. */
const STATE_TTL_MS = 60 * 60 * 1000;
const MAX_PENDING = 100;

export const CREDENTIALS_FILE = "tornade-github-app.json";

export function defaultCredentialsPath(storePath: string): string {
  return resolve(storePath === ":memory:" ? "." : dirname(storePath), CREDENTIALS_FILE);
}

export function mountSetup(app: Hono, ctx: Pick<ServerContext, "config" | "clock" | "logger">, opts: SetupOptions = {}): void {
  const path = opts.credentialsPath ?? ctx.config.setup.credentialsPath ?? defaultCredentialsPath(ctx.config.store.path);
  const apiBase = ctx.config.github.baseUrl;
  const webUrl = githubWebUrl(apiBase);
  const pending = new Map<string, { scope: RunnerScope; at: number }>();
  // In the sandbox the configured App is the simulator's; the wizard may still be tried there.
  const configuredAppId = ctx.config.sandbox ? null : (ctx.config.github.appId ?? null);
  const html = (c: Context, body: string, status: 200 | 400 | 409 | 502 = 200) =>
    c.html(body, status, {
      // The review form posts to GitHub; nothing else leaves this origin.
      "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(webUrl).origin}; frame-ancestors 'none'; base-uri 'none'`,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });

  app.get("/setup", (c) => {
    const q = (k: string) => (c.req.query(k) ?? "").trim();
    const form = {
      appName: q("name") || `tornade-${randomBytes(3).toString("hex")}`,
      publicUrl: q("url") || new URL(c.req.url).origin,
      org: q("org"),
      configuredAppId,
    };
    if (!c.req.query("name") || configuredAppId !== null) return html(c, startPage({ ...form, errors: [] }));
    const errors: string[] = [];
    if (form.appName.length > APP_NAME_MAX) errors.push(`The App name is longer than ${APP_NAME_MAX} characters.`);
    if (!/^https?:\/\/[^\s/]+/.test(form.publicUrl) || !URL.canParse(form.publicUrl)) errors.push("The public URL must be an http(s) URL.");
    if (form.org !== "" && !GITHUB_LOGIN.test(form.org)) errors.push("The organization must be a GitHub login (letters, digits, hyphens).");
    if (errors.length) return html(c, startPage({ ...form, errors }), 400);

    const org = form.org === "" ? null : form.org;
    const scope: RunnerScope = org === null ? "repo" : "org";
    const now = ctx.clock.now();
    for (const [k, v] of pending) if (now - v.at > STATE_TTL_MS || pending.size >= MAX_PENDING) pending.delete(k);
    const state = randomBytes(24).toString("base64url");
    pending.set(state, { scope, at: now });
    const manifest = buildManifest({ publicUrl: form.publicUrl, appName: form.appName, scope });
    return html(c, reviewPage(manifest, manifestFormAction(webUrl, org, state), org));
  });

  app.get("/setup/callback", async (c) => {
    if (configuredAppId !== null) return html(c, errorPage("Already configured", `This tornade already runs with GitHub App ${configuredAppId}.`), 409);
    const code = c.req.query("code") ?? "";
    const state = c.req.query("state") ?? "";
    const started = pending.get(state);
    // Checked before the code is spent: GitHub hands out the private key once, so a key we cannot write is a lost App.
    // The state stays valid, so moving the file away and reloading this page finishes the setup.
    if (started && existsSync(path)) return html(c, errorPage("Setup failed", new CredentialsFileExists(path).message), 409);
    pending.delete(state);
    if (!started || ctx.clock.now() - started.at > STATE_TTL_MS) {
      ctx.logger.warn({ path: "/setup/callback" }, "setup callback with an unknown or expired state");
      return html(c, errorPage("Setup link expired", "This setup link is unknown, used or older than an hour."), 400);
    }
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) return html(c, errorPage("No code", "GitHub sent no usable code."), 400);
    try {
      const created = await convertManifestCode(apiBase, code, opts.fetch);
      if (created.webhookSecret === null) {
        throw new ConversionError("GitHub created the App without a webhook secret. Fix: set one in the App's settings and TORNADE_WEBHOOK_SECRET");
      }
      await writeCredentialsFile(path, {
        appId: created.id,
        privateKeyPem: created.pem,
        webhookSecret: created.webhookSecret,
        apiBaseUrl: apiBase,
        scope: started.scope,
      });
      ctx.logger.info({ appId: created.id, slug: created.slug, owner: created.owner, file: path }, "GitHub App created from manifest; credentials written");
      return html(c, donePage({ appId: created.id, name: created.name, htmlUrl: created.htmlUrl, owner: created.owner, path }));
    } catch (e) {
      if (e instanceof ConversionError || e instanceof CredentialsFileExists) {
        ctx.logger.warn({ err: e.message }, "setup failed");
        return html(c, errorPage("Setup failed", e.message), e instanceof CredentialsFileExists ? 409 : 502);
      }
      throw e;
    }
  });
}
