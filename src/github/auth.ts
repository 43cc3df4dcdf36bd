import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import Bottleneck from "bottleneck";
import { systemClock, type Clock } from "../clock/clock.js";
import { appJwtSigner } from "./app-jwt.js";
import { InstallationTokens } from "./installation-tokens.js";
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
  /** Retries of 5xx / network failures (plugin-retry, backoff 1, 4, 9 s). Default 3. */
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
}

const OctokitWithPlugins = Octokit.plugin(paginateRest, retry, throttling);
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
  const common = commonOptions(opts, clock, logger);
  const instances = new Map<string, GitHubOctokit>();
  const tokens = new InstallationTokens(clock, opts.tokenRefreshMarginMs ?? 5 * 60_000);

  const observe = (octokit: GitHubOctokit, key: string): GitHubOctokit => {
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

function commonOptions(opts: GitHubClientOptions, clock: Clock, logger: Logger) {
  const maxRateLimitRetries = opts.maxRateLimitRetries ?? 3;
  const maxWait = opts.maxRateLimitWaitSeconds ?? 60;
  // Both plugins wait `seconds × retryAfterBaseValue` real ms; GitHub's seconds are clock seconds.
  const msPerClockSecond = 1000 / clock.speed;
  const throttle: ThrottlingOptions = {
    retryAfterBaseValue: msPerClockSecond,
    onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
      const again = retryCount < maxRateLimitRetries;
      logger.warn(
        { method: options.method, url: options.url, retryAfter, retryCount, again },
        "GitHub secondary rate limit",
      );
      return again;
    },
    // The plugin computes this wait from x-ratelimit-reset against the real time; with a compressed test clock it is
    // too long, which only makes a call give up ("rate-limited") sooner: safe.
    onRateLimit: (retryAfter, options, _octokit, retryCount) => {
      const again = retryCount < maxRateLimitRetries && retryAfter <= maxWait;
      logger.warn(
        { method: options.method, url: options.url, retryAfter, retryCount, again },
        "GitHub primary rate limit spent",
      );
      return again;
    },
    write: writeGroup(clock, opts.writeSpacingMs ?? 1000),
  };
  return {
    baseUrl: (opts.baseUrl ?? "https://api.github.com").replace(/\/+$/, ""),
    userAgent: "tornade",
    throttle,
    retry: {
      retries: opts.maxServerErrorRetries ?? 3,
      retryAfterBaseValue: msPerClockSecond,
      // 409 (duplicate runner name) and 429 (rate limit, the throttling plugin's business) must not be repeated here.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
    // Octokit's own log lines go to our logger without their `additionalInfo`, which can hold request headers.
    log: {
      debug: (m: string) => logger.debug({}, m),
      info: (m: string) => logger.info({}, m),
      warn: (m: string) => logger.warn({}, m),
      error: (m: string) => logger.error({}, m),
    },
  };
}

/**
 * The throttling plugin's `write` group (its typed option), built as the plugin builds its own — one Bottleneck
 * group whose limiter lets a write start `minTime` after the last — but with tornade's spacing: the plugin's is one
 * second of real time, process-wide, which would cap the controller at one launch a second; tornade's is in clock
 * time (a compressed test clock compresses it too) and may be 0, when the controller paces its launches itself.
 */
function writeGroup(clock: Clock, spacingMs: number): Bottleneck.Group {
  return new Bottleneck.Group({ maxConcurrent: 1, minTime: Math.max(0, spacingMs) / clock.speed });
}
