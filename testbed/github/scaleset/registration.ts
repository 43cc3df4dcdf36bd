/**
 * The registration exchange (getActionsServiceAdminConnection in client.go): a runner registration token (REST
 * `POST /orgs/{org}/actions/runners/registration-token` or the repository form) is sent back as
 * `Authorization: RemoteAuth <token>` with `{"url": <config URL>, "runner_event": "register"}`, and GitHub answers the
 * Actions service URL and an admin token for the scope the config URL names (201, as the client's own test server
 * answers, testserver/server.go).
 *
 * The config URL is the sim's URL followed by `/OWNER` (organization) or `/OWNER/REPO` (repository), and must name the
 * scope the registration token was issued for. Being a GitHub API endpoint, its errors have GitHub's basic error shape.
 */
import type { SimContext } from "../context.js";
import { error } from "../http.js";
import type { ScaleSetBroker } from "./broker.js";
import { REGISTRATION_PATH, type ServiceRoute } from "./service.js";

/** The config URL of a scope: what a client passes as GitHubConfigURL. */
export function configUrl(ctx: SimContext, repo: string | null): string {
  return `${ctx.site.url}/${ctx.site.owner}${repo === null ? "" : `/${repo}`}`;
}

export function registrationRoute(ctx: SimContext, broker: ScaleSetBroker): ServiceRoute {
  return {
    method: "POST",
    template: REGISTRATION_PATH,
    auth: "registration",
    handler(req) {
      if (req.who.kind !== "registration") return error(401, "Bad credentials");
      const body = req.body as { url?: string; runner_event?: string };
      if (body.runner_event !== "register") return error(422, `runner_event must be "register", got ${JSON.stringify(body.runner_event)}.`);
      const want = configUrl(ctx, req.who.scope.repo);
      const got = (body.url ?? "").replace(/\/+$/, "");
      if (got.toLowerCase() !== want.toLowerCase()) {
        return error(404, `The registration token is for ${want}, not ${JSON.stringify(body.url)}: use the config URL of the token's scope.`);
      }
      return { status: 201, body: broker.connect(req.who.scope) };
    },
  };
}
