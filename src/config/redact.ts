/** Secrets never reach a log: JSON.stringify, pino and console.log of a Config all show "[redacted]" in their place. */
import { inspect } from "node:util";
import type { Config } from "./schema.js";

export const REDACTED = "[redacted]";

/** A copy safe to print: secrets replaced by "[redacted]" (absent ones stay absent, so you can see what is set). */
export function describeConfig(config: Config): Record<string, unknown> {
  const g = config.github;
  const hide = (v: string | undefined): string | undefined => (v === undefined ? undefined : REDACTED);
  return {
    ...config,
    github: { ...g, privateKey: hide(g.privateKey), personalToken: hide(g.personalToken), webhookSecret: hide(g.webhookSecret) },
    admin: { ...config.admin, token: hide(config.admin.token) },
  };
}

export function attachRedaction(config: Config): Config {
  const define = (target: object, view: () => unknown): void => {
    Object.defineProperty(target, "toJSON", { value: view, enumerable: false });
    Object.defineProperty(target, inspect.custom, { value: () => view(), enumerable: false });
  };
  define(config, () => describeConfig(config));
  define(config.github, () => describeConfig(config)["github"]);
  define(config.admin, () => describeConfig(config)["admin"]);
  return config;
}
