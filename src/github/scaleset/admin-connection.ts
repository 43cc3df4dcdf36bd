/**
 * The admin connection to the Actions service: its URL and an admin token, from the registration exchange, kept
 * fresh by tornade's clock.
 *
 * The exchange (actions/scaleset client.go `getRunnerRegistrationToken`, `getActionsServiceAdminConnection`):
 * 1. a runner registration token for the scope — GitHub REST, through tornade's own Octokit clients (App
 *    installation tokens, or a PAT), so throttling, retries and token caching are the same as for every other call;
 * 2. `POST {REST root}/actions/runner-registration` with `Authorization: RemoteAuth <registration token>` and
 *    `{"url": <config URL>, "runner_event": "register"}` → `{url, token}`.
 * The admin token is a JWT; its `exp`, read without verifying (the client cannot verify it), says when to renew it.
 * The public client renews 60 s before `exp` by the system time (`updateTokenIfNeeded`); this one by tornade's clock,
 * so a compressed test clock ages it as the test bed does. Concurrent callers share one renewal.
 */
import type { Clock } from "../../clock/clock.js";
import type { GitHubClients, GitHubOctokit, Logger } from "../auth.js";
import { toGitHubError } from "../errors.js";
import type { RunnerScope } from "../github-port.js";
import { registrationUrlOf } from "./config-url.js";
import { errorFromGitHub, ScaleSetError } from "./errors.js";
import { abortable, retrying, type RetryPolicy } from "./retry.js";
import { exchange } from "./transport.js";
import { AdminConnectionWire } from "./wire.js";

/** Renew this long before the admin token's `exp` (client.go: 60 s). */
export const ADMIN_TOKEN_MARGIN_MS = 60_000;
/** When `exp` cannot be read, the token is renewed this long after it came (GitHub's are valid about an hour). */
const UNREADABLE_EXP_LIFETIME_MS = 10 * 60_000;

export interface AdminConnectionOptions {
  readonly github: GitHubClients;
  /** tornade's GitHub REST root (config github.baseUrl). */
  readonly restBaseUrl: string;
  readonly scope: RunnerScope;
  readonly configUrl: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
}

export interface Admin {
  /** The Actions service's root, ending in "/"; its API paths (`_apis/...`) are joined onto it. */
  readonly serviceUrl: string;
  /** The admin token: a credential. */
  readonly token: string;
}

export class AdminConnection {
  #current: (Admin & { renewAt: number }) | undefined;
  #renewing: Promise<Admin> | undefined;
  /** Registration exchanges made so far. */
  exchanges = 0;

  constructor(private readonly o: AdminConnectionOptions) {}

  /** A fresh admin connection: the current one, or a renewed one when its token is due by the clock. */
  async get(signal?: AbortSignal): Promise<Admin> {
    const c = this.#current;
    if (c && this.o.clock.now() < c.renewAt) return c;
    this.#renewing ??= this.renew().finally(() => (this.#renewing = undefined));
    return abortable(this.#renewing, "get the Actions service admin token", signal);
  }

  /** The service refused `token` (401): forget it, if it is still the current one, so the next get() renews. */
  invalidate(token: string): void {
    if (this.#current?.token === token) this.#current = undefined;
  }

  private async renew(): Promise<Admin> {
    const operation = "runner registration exchange";
    const registrationToken = await this.registrationToken();
    const answer = await retrying(
      operation,
      () =>
        exchange(
          {
            operation,
            method: "POST",
            url: registrationUrlOf(this.o.restBaseUrl),
            authorization: `RemoteAuth ${registrationToken}`,
            body: { url: this.o.configUrl, runner_event: "register" },
            // GitHub answers 201 (the public client's test server); any 2xx is success there.
            ok: [200, 201],
            schema: AdminConnectionWire,
            timeoutMs: this.o.timeoutMs,
          },
          () => this.o.clock.now(),
        ),
      { clock: this.o.clock, logger: this.o.logger, policy: this.o.retry, about: { configUrl: this.o.configUrl } },
      undefined,
      // The public client retries 401 and 403 here too (getActionsServiceAdminConnectionRequest): a registration
      // token just issued may not be known everywhere yet.
      (e) => e.status === 401 || e.status === 403,
    );
    const { url, token } = answer.value as { url: string; token: string };
    this.exchanges++;
    const now = this.o.clock.now();
    const exp = expiryOf(token);
    if (exp === undefined) this.o.logger.warn({ configUrl: this.o.configUrl }, "the Actions service admin token has no readable exp; renewing it every 10 minutes");
    const renewAt = exp === undefined ? now + UNREADABLE_EXP_LIFETIME_MS : exp - ADMIN_TOKEN_MARGIN_MS;
    const admin = { serviceUrl: url.endsWith("/") ? url : `${url}/`, token, renewAt };
    this.#current = admin;
    this.o.logger.info({ configUrl: this.o.configUrl, expiresAt: exp === undefined ? null : new Date(exp).toISOString() }, "connected to the Actions service");
    return admin;
  }

  /** "Create a registration token for an organization / a repository" (REST, self-hosted runners). */
  private async registrationToken(): Promise<string> {
    const operation = "create a runner registration token";
    const { scope } = this.o;
    let octokit: GitHubOctokit;
    try {
      octokit = this.o.github.forInstallation(scope.installationId);
    } catch (e) {
      throw new ScaleSetError("invalid", 0, `${operation}: ${e instanceof Error ? e.message : String(e)}; give the scale set's scope its installation id`, { operation });
    }
    try {
      const res =
        scope.scope === "org"
          ? await octokit.request("POST /orgs/{org}/actions/runners/registration-token", { org: scope.owner })
          : await octokit.request("POST /repos/{owner}/{repo}/actions/runners/registration-token", { owner: scope.owner, repo: scope.repo });
      return res.data.token;
    } catch (e) {
      throw errorFromGitHub(operation, toGitHubError(e, operation, () => this.o.clock.now()));
    }
  }
}

/** A JWT's `exp` in epoch ms, read without verification; undefined when it has none or is not a JWT. */
export function expiryOf(jwt: string): number | undefined {
  const payload = jwt.split(".")[1];
  if (jwt.split(".").length !== 3 || !payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as unknown;
    const exp = typeof claims === "object" && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
