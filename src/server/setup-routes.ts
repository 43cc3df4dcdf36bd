/**
 * The setup wizard, on the operator listener only, under `tornade serve --setup` (or the sandbox), and only while no
 * GitHub credentials are configured: GET /setup (the form), POST /setup (setup code checked → manifest review → the
 * browser POSTs it to GitHub) and GET /setup/callback (code → App credentials → file, once). See src/setup/manifest.ts
 * for GitHub's flow and docs/security.md ("Setup wizard") for the threats each step answers.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/logger.js";
import { ConversionError, convertManifestCode } from "../setup/conversion.js";
import { CredentialsFileExists, writeCredentialsFile } from "../setup/credentials.js";
import { FLOW_TTL_MS, SetupFlows } from "../setup/flows.js";
import { APP_NAME_MAX, GITHUB_LOGIN, buildManifest, githubWebUrl, manifestFormAction, type RunnerScope } from "../setup/manifest.js";
import { closedPage, donePage, errorPage, reviewPage, startPage, type StartForm } from "../setup/pages.js";
import { newSetupCode, normalSetupCode } from "../setup/setup-code.js";
import { sameSecret } from "./same-secret.js";

export interface SetupWizardOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the credentials are written. Default: setup.credentialsPath, else tornade-github-app.json beside the store. */
  readonly credentialsPath?: string;
  /** For tests: the fetch used for the code exchange. */
  readonly fetch?: typeof fetch;
}

export interface SetupWizard {
  /** The one-time code the first page asks for; the caller prints it on the console, never in the log. */
  readonly code: string;
  /** Where the credentials will be written. */
  readonly credentialsPath: string;
  /** Mounts GET/POST /setup and GET /setup/callback. */
  mount(app: Hono): void;
  /** Resolves once credentials were written; the wizard is closed from then on. */
  readonly done: Promise<void>;
}

export const CREDENTIALS_FILE = "tornade-github-app.json";
const FORM_LIMIT_BYTES = 16 * 1024;
/** The browser session a flow is bound to (flows.ts). HttpOnly: no script reads it; SameSite=Lax: GitHub's redirect
 * back is a top-level GET navigation from another site, which Lax cookies accompany and Strict ones do not. */
export const SESSION_COOKIE = "tornade_setup";

export function defaultCredentialsPath(storePath: string): string {
  return resolve(storePath === ":memory:" ? "." : dirname(storePath), CREDENTIALS_FILE);
}

/** True when tornade already has GitHub credentials: an App (id and key) or a token. */
export function hasGitHubCredentials(config: Config): boolean {
  return config.github.appId !== undefined || config.github.personalToken !== undefined;
}

export function createSetupWizard(opts: SetupWizardOptions): SetupWizard {
  const { config, clock, logger } = opts;
  const path = opts.credentialsPath ?? config.setup.credentialsPath ?? defaultCredentialsPath(config.store.path);
  const apiBase = config.github.baseUrl;
  const webUrl = githubWebUrl(apiBase);
  const code = newSetupCode();
  const flows = new SetupFlows();
  // The sandbox runs with the simulator's App, and the wizard may still be tried there.
  let closed: string | null = hasGitHubCredentials(config) && !config.sandbox ? "This tornade already has GitHub credentials." : null;
  let markDone: () => void = () => {};
  const done = new Promise<void>((r) => (markDone = r));

  const html = (c: Context, body: string, status: 200 | 400 | 403 | 409 | 413 | 429 | 502 = 200) =>
    c.html(body, status, {
      // The review form posts to GitHub; nothing else leaves this origin.
      "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(webUrl).origin}; frame-ancestors 'none'; base-uri 'none'`,
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    });
  const blank = (): StartForm => ({ appName: `tornade-${randomBytes(3).toString("hex")}`, publicUrl: "", org: "", errors: [] });

  const mount = (app: Hono) => {
    app.get("/setup", (c) => (closed !== null ? html(c, closedPage(closed), 409) : html(c, startPage(blank()))));

    // The form is four short fields; nothing bigger is read.
    app.post("/setup", bodyLimit({ maxSize: FORM_LIMIT_BYTES, onError: (c) => html(c, errorPage("Too large", "That form is too large."), 413) }), async (c) => {
      if (closed !== null) return html(c, closedPage(closed), 409);
      const body = await c.req.parseBody();
      const field = (k: string) => (typeof body[k] === "string" ? body[k].trim() : "");
      const form: StartForm = { appName: field("name"), publicUrl: field("url"), org: field("org"), errors: [] };
      if (!sameSecret(normalSetupCode(field("code")), normalSetupCode(code))) {
        logger.warn({ path: "/setup" }, "setup wizard: wrong setup code");
        return html(c, startPage({ ...form, errors: ["That is not the setup code. It is printed on tornade's console where the wizard was started."] }), 403);
      }
      const errors: string[] = [];
      if (form.appName === "" || form.appName.length > APP_NAME_MAX) errors.push(`The App name must be 1 to ${APP_NAME_MAX} characters.`);
      if (!/^https?:\/\/[^\s/]+/.test(form.publicUrl) || !URL.canParse(form.publicUrl)) errors.push("The public URL must be an http(s) URL.");
      if (form.org !== "" && !GITHUB_LOGIN.test(form.org)) errors.push("The organization must be a GitHub login (letters, digits, hyphens).");
      if (errors.length) return html(c, startPage({ ...form, errors }), 400);

      const org = form.org === "" ? null : form.org;
      const scope: RunnerScope = org === null ? "repo" : "org";
      const started = flows.start(getCookie(c, SESSION_COOKIE), scope, clock.now());
      if (!started.ok) return html(c, startPage({ ...form, errors: [started.reason] }), 429);
      const origin = new URL(c.req.url).origin;
      setCookie(c, SESSION_COOKIE, started.session, {
        httpOnly: true,
        sameSite: "Lax",
        path: "/setup",
        maxAge: FLOW_TTL_MS / 1000,
        secure: origin.startsWith("https:"),
      });
      // GitHub sends the browser back here (this listener, as the browser reaches it); webhooks go to the public URL.
      const manifest = buildManifest({ publicUrl: form.publicUrl, redirectBase: origin, appName: form.appName, scope });
      return html(c, reviewPage(manifest, manifestFormAction(webUrl, org, started.state), org));
    });

    app.get("/setup/callback", async (c) => {
      if (closed !== null) return html(c, closedPage(closed), 409);
      const state = c.req.query("state") ?? "";
      const claimed = flows.claim(state, getCookie(c, SESSION_COOKIE), clock.now());
      if (!claimed.ok) {
        logger.warn({ path: "/setup/callback", why: claimed.why }, "setup callback refused");
        return claimed.why === "foreign"
          ? html(c, errorPage("Not your setup", "This setup was started in another browser, or this link was not meant for this one. Nothing was written. Open the link in the browser that started the setup.", false), 403)
          : html(c, errorPage("Setup link expired", "This setup link is unknown, already used or older than an hour. Nothing was written."), 400);
      }
      // Checked before the code is spent: GitHub hands out the private key once, so a key we cannot write is a lost App.
      // The flow stays open, so moving the file away and reloading this page finishes the setup.
      if (existsSync(path)) return html(c, errorPage("Setup failed", new CredentialsFileExists(path).message), 409);
      const code = c.req.query("code") ?? "";
      if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) return html(c, errorPage("No code", "GitHub sent no usable code."), 400);
      flows.finish(state);
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
          scope: claimed.flow.scope,
        });
        closed = `GitHub App ${created.id} was created and its credentials written to ${path}.`;
        markDone();
        logger.info({ appId: created.id, slug: created.slug, owner: created.owner, file: path }, "GitHub App created from manifest; credentials written");
        return html(c, donePage({ appId: created.id, name: created.name, htmlUrl: created.htmlUrl, owner: created.owner, path }));
      } catch (e) {
        if (e instanceof ConversionError || e instanceof CredentialsFileExists) {
          logger.warn({ err: e.message }, "setup failed");
          return html(c, errorPage("Setup failed", e.message), e instanceof CredentialsFileExists ? 409 : 502);
        }
        throw e;
      }
    });
  };

  return { code, credentialsPath: path, mount, done };
}
