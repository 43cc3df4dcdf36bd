/**
 * What `tornade serve --sandbox` (and `npm start`) prints: that the world is simulated, where tornade listens, and how
 * to poke it by hand — the simulated App's webhook secret and a ready command that signs and posts a delivery.
 *
 * Why a curl line and not a `tornade` command that posts: the signature is the whole protocol (HMAC-SHA256 of the raw
 * body with the secret, in X-Hub-Signature-256), and a line of curl + openssl shows it, works from any shell with the
 * tools every Linux and macOS machine has, and can be edited into whatever a person wants to try (another body, a
 * wrong signature, a replayed delivery id). The secret is the sandbox's own, made up at start and worth nothing
 * outside it; a real webhook secret never belongs on a command line.
 */

export interface BannerInput {
  /** Simulated milliseconds per real one. */
  readonly speed: number;
  /** Where tornade takes GitHub's webhooks: POST {eventsUrl}/events. */
  readonly eventsUrl: string;
  /** The operator listener: the dashboard, /api, /metrics and the setup wizard. */
  readonly dashboardUrl: string;
  /** The one-time code the sandbox's setup wizard asks for. */
  readonly setupCode: string;
  /** The simulated App's webhook secret, which tornade verifies deliveries with. */
  readonly webhookSecret: string;
  /** GitHub's `queued` delivery of a job held back for a person to post (poke.ts). */
  readonly delivery: { readonly jobId: number; readonly path: string };
}

/** Printed before the sandbox starts: nothing real is contacted. */
export function sandboxWarning(speed: number): string {
  return (
    `\n  *** SANDBOX *** tornade is running against a SIMULATED GitHub and AWS (clock ${speed}x).\n` +
    `  Nothing real is contacted. Configure a GitHub App and AWS to run for real (see README).\n\n`
  );
}

/** Printed once the sandbox listens. */
export function sandboxBanner(b: BannerInput): string {
  return [
    `  tornade: ${b.eventsUrl}   (public: POST /events, GET /healthz)`,
    `  operator: ${b.dashboardUrl}   (dashboard at /, /api/state, /metrics; /setup asks for code ${b.setupCode})`,
    "  the seed workflow is queued; watch it on the dashboard.",
    "",
    `  webhook secret: ${b.webhookSecret}   (the simulated App's; deliveries are signed with it)`,
    `  job ${b.delivery.jobId} is queued on the simulated GitHub, but its webhook was held back for you to send. This line signs`,
    `  and posts it (${b.delivery.path}; edit the labels to see another decision):`,
    "",
    `  ${signedPostCommand(b.eventsUrl, b.webhookSecret, b.delivery.path)}`,
    "",
    "",
  ].join("\n");
}

/**
 * One shell line that posts `file` to `{url}/events` as GitHub would: X-GitHub-Event, a fresh X-GitHub-Delivery
 * GUID (GitHub keeps one per delivery; tornade drops a repeated one as a duplicate) and X-Hub-Signature-256 computed
 * over the file's bytes, exactly what curl sends with --data-binary.
 */
export function signedPostCommand(url: string, secret: string, file: string): string {
  const f = shellQuote(file);
  return [
    `curl -sS -X POST ${shellQuote(`${url}/events`)}`,
    "-H 'Content-Type: application/json' -H 'X-GitHub-Event: workflow_job'",
    `-H "X-GitHub-Delivery: $(node -p 'crypto.randomUUID()')"`,
    `-H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac ${shellQuote(secret)} -r ${f} | cut -d' ' -f1)"`,
    `--data-binary @${f}`,
  ].join(" ");
}

/** POSIX shell single quoting: the text exactly, whatever it holds. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
