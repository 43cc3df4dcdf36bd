/**
 * CodeBuild ListBuildsForProject (CodeBuild API Reference): a project's build ids, sorted "by build number, not the
 * build identifier", descending unless `sortOrder` says otherwise; at most 100 per page, the rest behind a `nextToken`
 * ("If there are more than 100 items in the list, only the first 100 items are returned, along with a unique string
 * called a nextToken"). "If the project has more than 100 builds, setting the sort order will result in an error":
 * refused with InvalidInputException (AWS publishes no message; the words here are ours).
 *
 * The token is opaque to callers; here it carries the project, the order and the last build number given, so a page
 * stays where it was while new builds start (they get higher numbers, and come first only in a fresh listing).
 */
import { ACCOUNT } from "./ecs-state.js";
import { AwsError } from "./protocol.js";
import type { CodeBuildState } from "./codebuild.js";

/** "only the first 100 items are returned" (ListBuildsForProject `nextToken`). */
export const LIST_PAGE_SIZE = 100;

type Body = Record<string, unknown>;

interface Cursor {
  readonly project: string;
  readonly order: "ASCENDING" | "DESCENDING";
  /** The build number of the last id given. */
  readonly after: number;
}

export function listBuildsForProject(state: CodeBuildState, body: Body): Body {
  const name = typeof body.projectName === "string" ? body.projectName : "";
  const project = state.projects.get(name);
  if (!project) throw new AwsError("ResourceNotFoundException", `Project cannot be found: arn:aws:codebuild:${state.region}:${ACCOUNT}:project/${name}`);
  const builds = [...state.builds.values()].filter((b) => b.project === project);
  const sortOrder = typeof body.sortOrder === "string" ? (body.sortOrder as Cursor["order"]) : undefined;
  if (sortOrder !== undefined && builds.length > LIST_PAGE_SIZE) {
    throw new AwsError("InvalidInputException", `sortOrder cannot be set for project ${name}: it has more than ${LIST_PAGE_SIZE} builds.`);
  }
  const cursor = typeof body.nextToken === "string" ? readToken(body.nextToken, name) : undefined;
  const order = cursor?.order ?? sortOrder ?? "DESCENDING";
  const sign = order === "DESCENDING" ? -1 : 1;
  const rest = builds
    .filter((b) => cursor === undefined || sign * (b.buildNumber - cursor.after) > 0)
    .sort((a, b) => sign * (a.buildNumber - b.buildNumber));
  const page = rest.slice(0, LIST_PAGE_SIZE);
  const last = page[page.length - 1];
  return {
    ids: page.map((b) => b.id),
    ...(rest.length > LIST_PAGE_SIZE && last ? { nextToken: writeToken({ project: name, order, after: last.buildNumber }) } : {}),
  };
}

function writeToken(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString("base64url");
}

function readToken(token: string, project: string): Cursor {
  let c: Partial<Cursor> | undefined;
  try {
    c = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<Cursor>;
  } catch {
    c = undefined;
  }
  if (c?.project !== project || (c.order !== "ASCENDING" && c.order !== "DESCENDING") || typeof c.after !== "number") {
    throw new AwsError("InvalidInputException", `Invalid nextToken for project ${project}: pass the nextToken of a previous ListBuildsForProject call for it.`);
  }
  return { project, order: c.order, after: c.after };
}
