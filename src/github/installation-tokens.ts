import type { InstallationAccessTokenAuthentication } from "@octokit/auth-app";
import type { Octokit } from "@octokit/core";
import type { Clock } from "../clock/clock.js";
import { GitHubError, toGitHubError } from "./errors.js";

/** "Create an installation access token for an app": auth-app mints through the Octokit it serves, hooks included. */
const MINT_ROUTE = "/app/installations/{installation_id}/access_tokens";
/** "The installation access token will expire after 1 hour" (Generating an installation access token for a GitHub App). */
const TOKEN_LIFETIME_MS = 60 * 60_000;

/**
 * When each installation's token must be replaced, decided by tornade's Clock.
 *
 * @octokit/auth-app keeps minting, caching (its documented `cache` option, given a plain map that never expires
 * anything by itself), the JWT and its retries. This adds the one thing it cannot know: time. Its own cache expires
 * tokens 59 minutes of real time after minting, which a compressed test clock outruns; so tornade keeps, per
 * installation, when its token expires (GitHub's `expires_at`, as auth-app's documented `auth({ type: "installation"
 * })` result gives it), and before any request whose token has `marginMs` or less left asks auth-app for a new one
 * (`refresh: true`). Concurrent requests share one mint.
 */
export class InstallationTokens {
  /** Per installation, when its token expires: GitHub's `expires_at`, epoch ms (the test bed shares tornade's clock). */
  private readonly expiries = new Map<number, number>();
  private readonly minting = new Map<number, Promise<void>>();
  /** Installation tokens minted so far (each one POST /app/installations/{id}/access_tokens). */
  minted = 0;

  constructor(
    private readonly clock: Clock,
    private readonly marginMs: number,
  ) {}

  /** Keeps the token of `octokit` — an installation's Octokit authenticated by createAppAuth — fresh by the clock. */
  keepFresh(octokit: Octokit, installationId: number): void {
    octokit.hook.before("request", async (options) => {
      // The mint itself comes through here: it is authenticated by the App's JWT and must not wait for itself.
      if (options.url === MINT_ROUTE) return;
      await this.fresh(octokit, installationId);
    });
  }

  private fresh(octokit: Octokit, installationId: number): Promise<void> | undefined {
    const expiresAt = this.expiries.get(installationId);
    if (expiresAt !== undefined && expiresAt - this.clock.now() > this.marginMs) return undefined;
    let mint = this.minting.get(installationId);
    if (!mint) {
      mint = this.mint(octokit, installationId).finally(() => this.minting.delete(installationId));
      this.minting.set(installationId, mint);
    }
    return mint;
  }

  private async mint(octokit: Octokit, installationId: number): Promise<void> {
    const mintedAt = this.clock.now();
    const token = (await octokit.auth({ type: "installation", refresh: true }).catch((e: unknown) => {
      throw notInstalled(e, installationId) ?? e;
    })) as InstallationAccessTokenAuthentication;
    this.minted++;
    const expiresAt = Date.parse(token.expiresAt);
    // Without a readable expires_at (GitHub always sends one), the documented lifetime from when it was asked for.
    this.expiries.set(installationId, Number.isFinite(expiresAt) ? expiresAt : mintedAt + TOKEN_LIFETIME_MS);
  }
}

/**
 * GitHub answers 404 to "Create an installation access token for an app" when the App has no such installation: it
 * was uninstalled from the organization or user, or the id is wrong. Bare, that surfaces as "Not Found" wherever the
 * installation's first call is made; this says what is missing and the fix.
 */
function notInstalled(e: unknown, installationId: number): GitHubError | undefined {
  const ge = toGitHubError(e, `POST ${MINT_ROUTE}`);
  if (ge.kind !== "not-found") return undefined;
  return new GitHubError(
    "not-found",
    ge.status,
    `the GitHub App is not installed as installation ${installationId} (GitHub answered ${ge.status} "${ge.message}" to its installation token: the App was uninstalled from that organization or user, or the id is wrong). ` +
      "Fix: install the App on the organization or user that owns the repositories (the App's settings → Install App), or correct the installation id (TORNADE_POOL_INSTALLATION_ID, TORNADE_SCALE_SETS_INSTALLATION_ID)",
    { operation: `POST ${MINT_ROUTE}`, cause: e },
  );
}
