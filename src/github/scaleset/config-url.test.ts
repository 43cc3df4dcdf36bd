import { describe, expect, it } from "vitest";
import { configUrlOf, registrationUrlOf } from "./config-url.js";

const org = { scope: "org", owner: "acme", repo: "" } as const;
const repo = { scope: "repo", owner: "acme", repo: "app" } as const;

describe("the config URL of a scope, from tornade's REST base URL", () => {
  it.each([
    ["https://api.github.com", org, "https://github.com/acme"],
    ["https://api.github.com/", repo, "https://github.com/acme/app"],
    // GitHub Enterprise Cloud with data residency: the API is on api.SUBDOMAIN.ghe.com.
    ["https://api.octo.ghe.com", org, "https://octo.ghe.com/acme"],
    // GitHub Enterprise Server: the API under /api/v3 of the web host.
    ["https://ghes.example.com/api/v3", repo, "https://ghes.example.com/acme/app"],
    ["https://ghes.example.com/api/v3/", org, "https://ghes.example.com/acme"],
    // The test bed, whose REST API is at its root as well as under /api/v3.
    ["http://127.0.0.1:4000", org, "http://127.0.0.1:4000/acme"],
  ])("%s, %o → %s", (base, scope, want) => {
    expect(configUrlOf(base, scope)).toBe(want);
  });

  it("puts the registration exchange at the REST root, where the public client calls it", () => {
    expect(registrationUrlOf("https://api.github.com")).toBe("https://api.github.com/actions/runner-registration");
    expect(registrationUrlOf("https://ghes.example.com/api/v3/")).toBe("https://ghes.example.com/api/v3/actions/runner-registration");
  });
});
