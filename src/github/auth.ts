import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { systemClock, type Clock } from "../clock/clock.js";
import { appJwtSigner } from "./app-jwt.js";
import { applyCallPolicy, callBounds, type CallPolicy, type RateLimitReport } from "./call-policy.js";
import { InstallationTokens } from "./installation-tokens.js";
import { plainJson } from "./plain-json.js";
import { RateLimitTracker, type RateLimitObservation } from "./rate-limits.js";

/** pino-compatible subset, so a pino logger (or a child of one) can be passed as is. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type GitHubAuth =
  | { readonly kind: "app"; readonly appId: number | string; readonly privateKeyPem: string }
  | { readonly kind: "token"; readonly token: string };

export interface GitHubClientOptions {
  readonly auth: GitHubAuth;
  /** https://api.github.com by default; for GitHub Enterprise Server "https://HOST/api/v3". */
  readonly baseUrl?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Retries after a rate limit (primary or secondary) before the call fails as "rate-limited". Default 3. */
  readonly maxRateLimitRetries?: number;
  /**
   * Longest wait (seconds, clock time) the client sits out for a primary rate limit inside one call. Longer waits
   * fail fast as "rate-limited" with `retryAt`, so the controller defers instead of blocking a worker. Default 60.
   */
  readonly maxRateLimitWaitSeconds?: number;
  /** Retries of 5xx / network failures (backoff 1, 4, 9 s of clock time: call-policy.ts). Default 3. */
  readonly maxServerErrorRetries?: number;
  /**
   * Minimum spacing between mutating requests (POST/PATCH/PUT/DELETE), ms of clock time. GitHub's REST best
   * practices ask for "at least one second between each request" when making many mutating requests
   * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api). Default 1000;
   * 0 leaves pacing to the controller (the secondary limit of 900 points/min per endpoint still applies).
   */
  readonly writeSpacingMs?: number;
  /** Refresh an installation token this long (ms, clock time) before GitHub's `expires_at`. Default 5 minutes. */
  readonly tokenRefreshMarginMs?: number;
  /**
   * Real-time deadline of one request (call-policy.ts): a try without a full answer by then is cut off and counts as
   * a failed connection. Default 30 s, three times GitHub's own 10-second limit on a request.
   */
  readonly requestTimeoutMs?: number;
}

const OctokitWithPlugins = Octokit.plugin(paginateRest, plainJson);
export type GitHubOctokit = InstanceType<typeof OctokitWithPlugins>;

/** Octokit instances per installation (App) or one shared instance (token), plus what they observed. */
export interface GitHubClients {
  readonly mode: "app" | "token";
  /** An Octokit acting as the installation (App) or as the token owner (PAT). Cached per installation. */
  forInstallation(installationId: number | undefined): GitHubOctokit;
  /** An Octokit acting as the App itself (JWT), for /app endpoints; undefined with a personal access token. */
  forApp(): GitHubOctokit | undefined;
  rateLimits(): RateLimitObservation[];
  /** Installation tokens minted so far (each is one POST /app/installations/{id}/access_tokens). */
  tokensMinted(): number;
}

export function createGitHubClients(opts: GitHubClientOptions): GitHubClients {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const tracker = new RateLimitTracker(() => clock.now());
  const common = commonOptions(opts, logger);
  const policy = callPolicyOf(opts);
  const bounds = callBounds(clock, opts.writeSpacingMs ?? 1000);
  const report = rateLimitReport(logger);
  const instances = new Map<string, GitHubOctokit>();
  const tokens = new InstallationTokens(clock, opts.tokenRefreshMarginMs ?? 5 * 60_000);

  const observe = (octokit: GitHubOctokit, key: string): GitHubOctokit => {
    applyCallPolicy(octokit, policy, bounds, clock, report);
    octokit.hook.after("request", (response) => tracker.observe(key, response.headers));
    octokit.hook.error("request", (error) => {
      const headers = (error as { response?: { headers?: Record<string, string | number | undefined> } }).response
        ?.headers;
      tracker.observe(key, headers);
      throw error;
    });
    return octokit;
  };

  const { auth } = opts;
  if (auth.kind === "token") {
    const shared = observe(new OctokitWithPlugins({ ...common, auth: auth.token }), "token");
    return {
      mode: "token",
      forInstallation: () => shared,
      forApp: () => undefined,
      rateLimits: () => tracker.snapshot(),
      tokensMinted: () => 0,
    };
  }

  const sign = appJwtSigner(auth.appId, auth.privateKeyPem);
  // auth-app's documented hook for a JWT signed elsewhere, timed by tornade's clock. When GitHub refuses a JWT for its
  // times, auth-app retries once with `timeDifference`: GitHub's Date header minus the *system* time, in seconds; so
  // that JWT is timed by GitHub's clock, the system time plus that difference, whatever tornade's clock says.
  const createJwt = (_appId: string | number, timeDifference?: number) =>
    sign(timeDifference === undefined ? clock.now() / 1000 : systemClock.now() / 1000 + timeDifference);
  // auth-app's documented `cache`, as a map that expires nothing: InstallationTokens decides when a token is stale.
  const cached = new Map<string, string>();
  const cache = { get: (key: string) => cached.get(key), set: (key: string, value: string) => void cached.set(key, value) };
  const appAuth = (installationId?: number) => ({
    appId: auth.appId,
    createJwt,
    cache,
    log: { warn: (message: string) => logger.warn({ installationId }, message) },
    ...(installationId === undefined ? {} : { installationId }),
  });

  return {
    mode: "app",
    forInstallation(installationId) {
      if (installationId === undefined || !(installationId > 0)) {
        throw new Error("a GitHub App needs the installation id for this call (it comes with every webhook)");
      }
      const key = String(installationId);
      let octokit = instances.get(key);
      if (!octokit) {
        octokit = observe(
          new OctokitWithPlugins({ ...common, authStrategy: createAppAuth, auth: appAuth(installationId) }),
          key,
        );
        tokens.keepFresh(octokit, installationId);
        instances.set(key, octokit);
      }
      return octokit;
    },
    forApp() {
      let octokit = instances.get("app");
      if (!octokit) {
        octokit = observe(new OctokitWithPlugins({ ...common, authStrategy: createAppAuth, auth: appAuth() }), "app");
        instances.set("app", octokit);
      }
      return octokit;
    },
    rateLimits: () => tracker.snapshot(),
    tokensMinted: () => tokens.minted,
  };
}

function commonOptions(opts: GitHubClientOptions, logger: Logger) {
  return {
    baseUrl: (opts.baseUrl ?? "https://api.github.com").replace(/\/+$/, ""),
    userAgent: "tornade",
    // Octokit's own log lines go to our logger without their `additionalInfo`, which can hold request headers.
    log: {
      debug: (m: string) => logger.debug({}, m),
      info: (m: string) => logger.info({}, m),
      warn: (m: string) => logger.warn({}, m),
      error: (m: string) => logger.error({}, m),
    },
  };
}

function callPolicyOf(opts: GitHubClientOptions): CallPolicy {
  return {
    maxRateLimitRetries: opts.maxRateLimitRetries ?? 3,
    // Longer waits fail fast as "rate-limited" with retryAt, so the controller defers instead of blocking a worker.
    maxRateLimitWaitSeconds: opts.maxRateLimitWaitSeconds ?? 60,
    maxServerErrorRetries: opts.maxServerErrorRetries ?? 3,
    // 409 (duplicate runner name) must not be repeated; 403 and 429 are the rate limits' (retried by their own rule).
    doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
  };
}

/** Each rate-limit refusal, and whether the call waits it out, as a warning. */
function rateLimitReport(logger: Logger): RateLimitReport {
  return ({ kind, method, url, retryAfterSeconds, retryCount, again }) =>
    logger.warn({ method, url, retryAfter: retryAfterSeconds, retryCount, again }, kind === "secondary" ? "GitHub secondary rate limit" : "GitHub primary rate limit spent");
}
