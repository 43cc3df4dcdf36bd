/** Everything a route handler may touch, gathered once by index.ts. */
import type { KeyObject } from "node:crypto";
import type { Clock } from "../../src/clock/clock.js";
import type { TokenStore } from "./auth.js";
import type { Site } from "./payloads.js";
import type { RateLimiter } from "./ratelimit.js";
import type { Scheduler } from "./scheduler.js";
import type { SimState } from "./state.js";
import type { WebhookDispatcher } from "./webhooks.js";

export interface EndpointFault {
  method: string;
  route: string;
  status: number;
  times: number;
}

export interface SimStats {
  /** Requests per "METHOD /route/template" (for benchmarks: GitHub calls per job). */
  requests: Record<string, number>;
  /** Answers per "METHOD /route/template STATUS". */
  responses: Record<string, number>;
  primaryLimited: number;
  secondaryLimited: number;
  tokensIssued: number;
}

export interface SimContext {
  site: Site;
  clock: Clock;
  state: SimState;
  scheduler: Scheduler;
  hooks: WebhookDispatcher;
  tokens: TokenStore;
  publicKey: KeyObject;
  limiter: RateLimiter;
  createdAt: number;
  webhookUrl: string | null;
  personalToken: string;
  endpointFaults: EndpointFault[];
  latency: { method?: string; route?: string; ms: number }[];
  stats: SimStats;
}

export function emptyStats(): SimStats {
  return { requests: {}, responses: {}, primaryLimited: 0, secondaryLimited: 0, tokensIssued: 0 };
}
