/**
 * The GitHub simulator: a REST subset (also under /api/v3, as on GitHub Enterprise Server), App auth, rate limits,
 * webhooks with a deliveries log, Actions scheduling, the runner protocol and the runner scale set service, on one
 * local HTTP server that the real Octokit clients talk to. See control.ts for the test controls, runner-protocol.ts
 * for what the simulated runner (testbed/runner) speaks, and scaleset/ for what GitHub's scale set client speaks.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { systemClock } from "../../src/clock/clock.js";
import { addAppRoutes } from "./app-routes.js";
import { addCheckRunRoutes } from "./checks-routes.js";
import { generateAppKeys, newToken, TokenStore } from "./auth.js";
import { emptyStats, type SimContext } from "./context.js";
import { addControlRoutes, createControl, HOOK_ID, type GitHubControl } from "./control.js";
import { Router } from "./http.js";
import { createManifestFlow } from "./manifest-flow.js";
import { addJobRoutes } from "./jobs-routes.js";
import type { Site } from "./payloads.js";
import { RateLimiter } from "./ratelimit.js";
import { addRunnerProtocolRoutes } from "./runner-protocol.js";
import { addRunnerRoutes } from "./runners-routes.js";
import { addRunnerGroupRoutes } from "./runner-groups.js";
import { Scheduler } from "./scheduler.js";
import { addScaleSetControlRoutes, startScaleSetService } from "./scaleset/index.js";
import { createRequestHandler } from "./server.js";
import { SimState } from "./state.js";
import { DEFAULT_LIMITS, type GitHubSimOptions } from "./types.js";
import { WebhookDispatcher } from "./webhooks.js";

export type { GitHubSimOptions, GitHubLimits, CreateRunInput, CreateRunJob, SimResponseInfo, RepoVisibility } from "./types.js";
export type { GitHubControl, RunView, RunnerView, DeliveryView, CheckRunView } from "./control.js";
export type { SimStats, EndpointFault } from "./context.js";
export type { DeliverySelector, DeliveryInfo } from "./webhooks.js";
export { decodeJitConfig, JitConfigError, type JitConfig } from "./jitconfig.js";
export type { ScaleSetControl, ScaleSetView, ScaleSetJobView, ScaleSetOptions, AssignmentMode } from "./scaleset/index.js";

export interface GitHubSim {
  url: string;
  appId: number;
  privateKeyPem: string;
  webhookSecret: string;
  installationId: number;
  owner: string;
  repo: string;
  /** The organization's GitHubConfigURL for the scale set client (`control.scaleSets.configUrl(repo)` for a repository). */
  configUrl: string;
  control: GitHubControl;
  close(): Promise<void>;
}

export async function startGitHubSim(opts: GitHubSimOptions = {}): Promise<GitHubSim> {
  const clock = opts.clock ?? systemClock;
  const owner = opts.owner ?? "tornade-org";
  const repo = opts.repo ?? "app";
  const webhookSecret = opts.webhookSecret ?? randomBytes(20).toString("hex");
  const keys = generateAppKeys();
  const state = new SimState(owner, 100_001);
  state.repo(repo);

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const site: Site = {
    url: `http://${host}:${addr.port}`,
    owner,
    ownerId: state.ownerId,
    appId: 310_001,
    appSlug: "tornade-sim",
    clientId: "Iv23li" + randomBytes(7).toString("hex"),
    installationId: 51_000_001,
  };
  let ctxRef: SimContext | null = null;
  const hooks = new WebhookDispatcher({
    clock,
    secret: webhookSecret,
    hookId: HOOK_ID,
    appId: site.appId,
    timeoutMs: opts.deliveryTimeoutMs ?? 10_000,
    ...(opts.deliveryConcurrency === undefined ? {} : { concurrency: opts.deliveryConcurrency }),
    url: () => ctxRef?.webhookUrl ?? null,
  });
  const ctx: SimContext = {
    site,
    clock,
    state,
    scheduler: new Scheduler(state, site, clock, hooks, opts.runnerLostAfterMs ?? 150_000),
    hooks,
    tokens: new TokenStore(),
    publicKey: keys.publicKey,
    limiter: new RateLimiter({ ...DEFAULT_LIMITS, ...opts.limits }),
    createdAt: clock.now(),
    webhookUrl: null,
    personalToken: newToken("ghp_"),
    endpointFaults: [],
    latency: [],
    stats: emptyStats(),
  };
  ctxRef = ctx;
  const scaleSets = startScaleSetService(ctx, opts.scaleSets, opts.onScaleSetResponse);
  const control = createControl(ctx, scaleSets.control);
  const api = new Router();
  addAppRoutes(api, ctx);
  addRunnerRoutes(api, ctx);
  addRunnerGroupRoutes(api, ctx);
  addJobRoutes(api, ctx);
  addCheckRunRoutes(api, ctx);
  const manifests = createManifestFlow(ctx, { privateKeyPem: keys.privateKeyPem, webhookSecret });
  manifests.addRoutes(api);
  const internal = new Router();
  addRunnerProtocolRoutes(internal, ctx);
  addControlRoutes(internal, ctx, control);
  addScaleSetControlRoutes(internal, control.scaleSets);
  const handler = createRequestHandler(ctx, { api, internal }, opts.onResponse);
  server.on("request", (req, res) => void (manifests.serveWeb(req, res) || scaleSets.serve(req, res) || handler(req, res)));
  if (opts.webhookUrl) control.setWebhookUrl(opts.webhookUrl);

  return {
    url: site.url,
    appId: site.appId,
    privateKeyPem: keys.privateKeyPem,
    webhookSecret,
    installationId: site.installationId,
    owner,
    repo,
    configUrl: control.scaleSets.configUrl(),
    control,
    async close() {
      scaleSets.close();
      ctx.scheduler.close();
      hooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
