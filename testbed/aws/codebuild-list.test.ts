import { InvalidInputException, ListBuildsForProjectCommand, ResourceNotFoundException, StartBuildCommand, paginateListBuildsForProject } from "@aws-sdk/client-codebuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIST_PAGE_SIZE } from "./codebuild-list.js";
import { controllableRuntime, startBed, type Bed } from "./test-helpers.js";

describe("CodeBuild ListBuildsForProject through @aws-sdk/client-codebuild", () => {
  let bed: Bed;
  const rt = controllableRuntime();
  beforeAll(async () => {
    bed = await startBed({ speed: 600, runtime: rt.runtime });
  });
  afterAll(async () => {
    await bed.sim.close();
  });

  const start = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const out = await bed.codebuild().send(new StartBuildCommand({ projectName: bed.sim.codebuildProject }));
      ids.push(out.build?.id ?? "");
    }
    return ids;
  };
  const list = (input: { sortOrder?: "ASCENDING" | "DESCENDING"; nextToken?: string } = {}) =>
    bed.codebuild().send(new ListBuildsForProjectCommand({ projectName: bed.sim.codebuildProject, ...input }));

  it("lists a project's builds newest first by default, oldest first on ASCENDING, in one page up to 100", async () => {
    const ids = await start(3);
    const newest = await list();
    expect(newest.ids).toEqual([...ids].reverse());
    expect(newest.nextToken).toBeUndefined();
    expect((await list({ sortOrder: "ASCENDING" })).ids).toEqual(ids);
    expect((await list({ sortOrder: "DESCENDING" })).ids).toEqual([...ids].reverse());
  });

  it("pages past 100 builds with nextToken, newest first, each build once, and refuses a sort order then", async () => {
    const before = (await list()).ids ?? [];
    const ids = [...before].reverse().concat(await start(LIST_PAGE_SIZE + 5 - before.length));
    const first = await list();
    expect(first.ids).toHaveLength(LIST_PAGE_SIZE);
    expect(first.nextToken).toEqual(expect.any(String));
    // A build started between pages comes first in a fresh listing, not in the next page.
    const [late] = await start(1);
    const second = await list({ nextToken: first.nextToken ?? "" });
    expect([...(first.ids ?? []), ...(second.ids ?? [])]).toEqual([...ids].reverse());
    expect(second.nextToken).toBeUndefined();
    const all: string[] = [];
    for await (const page of paginateListBuildsForProject({ client: bed.codebuild() }, { projectName: bed.sim.codebuildProject })) all.push(...(page.ids ?? []));
    expect(all).toEqual([late, ...[...ids].reverse()]);
    await expect(list({ sortOrder: "DESCENDING" })).rejects.toBeInstanceOf(InvalidInputException);
  });

  it("refuses an unknown project and a token that is not one of its own", async () => {
    await expect(bed.codebuild().send(new ListBuildsForProjectCommand({ projectName: "nope" }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(list({ nextToken: "not-a-token" })).rejects.toBeInstanceOf(InvalidInputException);
  });

  it("gave only answers that match AWS's output model", () => {
    expect(bed.responses.some((r) => r.operation === "ListBuildsForProject")).toBe(true);
    expect(bed.outputProblems()).toEqual([]);
  });
});
