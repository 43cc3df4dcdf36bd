import { describe, expect, it } from "vitest";
import { gapless, groupAccessGaps, organizationsOf, type AllowList, type RunnerGroupAccess } from "./runner-group-access.js";

const group = (visibility: string, selected: string[] = [], allowsPublicRepositories = false): RunnerGroupAccess => ({
  id: 4,
  name: "tornade",
  visibility,
  allowsPublicRepositories,
  selectedRepositories: selected,
});
const repos = (...repositories: string[]): AllowList => ({ repositories, organizations: [], allowPublic: false });

describe("groupAccessGaps", () => {
  it("finds a group open to every (private) repository too open for a repository allow-list", () => {
    expect(groupAccessGaps("acme", group("all"), repos("acme/app"))).toEqual({ tooOpen: "every repository of acme", notAdmitted: [], publicAdmitted: false });
    expect(groupAccessGaps("acme", group("private"), repos("acme/app")).tooOpen).toBe("every private repository of acme");
  });

  it("compares selected repositories with the organization's allowed ones, case-insensitively", () => {
    expect(gapless(groupAccessGaps("acme", group("selected", ["ACME/app", "acme/api"]), repos("acme/app", "acme/API", "other/x")))).toBe(true);
    expect(groupAccessGaps("acme", group("selected", ["acme/app", "acme/extra"]), repos("acme/app", "acme/api"))).toEqual({
      tooOpen: ["acme/extra"],
      notAdmitted: ["acme/api"],
      publicAdmitted: false,
    });
  });

  it("accepts any visibility where the whole organization is allowed, but not public repositories tornade refuses", () => {
    const org: AllowList = { repositories: [], organizations: ["Acme"], allowPublic: false };
    expect(gapless(groupAccessGaps("acme", group("all"), org))).toBe(true);
    expect(groupAccessGaps("acme", group("all", [], true), org).publicAdmitted).toBe(true);
    expect(gapless(groupAccessGaps("acme", group("all", [], true), { ...org, allowPublic: true }))).toBe(true);
  });

  it("treats a visibility it does not know as too open", () => {
    expect(groupAccessGaps("acme", group("enterprise"), repos("acme/app")).tooOpen).toBe('repositories by visibility "enterprise"');
  });
});

describe("organizationsOf", () => {
  it("lists each owner named by the allow-list once", () => {
    expect(organizationsOf({ repositories: ["acme/app", "ACME/api", "beta/x"], organizations: ["gamma", "Beta"], allowPublic: false })).toEqual(["acme", "beta", "gamma"]);
  });
});
