/**
 * Who is calling, read from the SigV4 credential's access key id, and what each principal may do: just enough IAM to
 * show the runner-credentials design holding (docs/security.md, "Runner credentials").
 * - operator: any access key the test bed does not know (tornade's controller, tests, the sandbox); may do anything.
 * - runner: the role runner containers run as (the ECS task role, the CodeBuild project role). The test bed hands its
 *   keys to every container it starts (index.ts), as ECS and CodeBuild hand a container its role's credentials. As in
 *   infra/: ssm:GetParameter, ssm:GetParameters and ssm:DeleteParameter on parameters under tornade's prefix, nothing
 *   else (no listing, no ECS or CodeBuild).
 * - reader: AWS's ReadOnlyAccess managed policy, approximately: every Describe*, List*, Get* and BatchGet* action on
 *   every resource (ssm:GetParameter included), nothing that changes anything.
 * Denials read as IAM words them ("User: ARN is not authorized to perform: ACTION on resource: ARN because no
 * identity-based policy allows the ACTION action", IAM User Guide, "Troubleshoot access denied error messages").
 */
import { ACCOUNT } from "./ecs-state.js";
import { AwsError } from "./protocol.js";

export type PrincipalName = "operator" | "runner" | "reader";

export interface Principal {
  readonly name: PrincipalName;
  readonly arn: string;
}

export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The runner role's keys, as the test bed gives them to containers (and to tests acting as a runner). */
export const RUNNER_CREDENTIALS: StaticCredentials = { accessKeyId: "ASIATORNADERUNNER0001", secretAccessKey: "testbed-runner-role" };
/** Keys of a principal holding ReadOnlyAccess: what an auditor, a dashboard or a leaked read-only key can do. */
export const READER_CREDENTIALS: StaticCredentials = { accessKeyId: "AKIATORNADEREADONLY01", secretAccessKey: "testbed-read-only" };

const PRINCIPALS: Record<PrincipalName, Principal> = {
  operator: { name: "operator", arn: `arn:aws:iam::${ACCOUNT}:user/operator` },
  runner: { name: "runner", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/tornade-runner/runner` },
  reader: { name: "reader", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnlyAccess/auditor` },
};

export function principalOf(accessKeyId: string | undefined): Principal {
  if (accessKeyId === RUNNER_CREDENTIALS.accessKeyId) return PRINCIPALS.runner;
  if (accessKeyId === READER_CREDENTIALS.accessKeyId) return PRINCIPALS.reader;
  return PRINCIPALS.operator;
}

export function principalNamed(name: PrincipalName): Principal {
  return PRINCIPALS[name];
}

/** Actions the runner role holds, each only on parameters under the prefix (infra/lib/runner-credentials.ts). */
const RUNNER_ACTIONS = new Set(["ssm:GetParameter", "ssm:GetParameters", "ssm:DeleteParameter"]);
const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get|BatchGet)/;

export interface AuthorizationContext {
  /** Resource ARN prefix the runner role's parameter actions are limited to (arn:…:parameter/tornade/jit/). */
  readonly runnerParameterArnPrefix: string;
}

/**
 * Throws AccessDeniedException unless `principal` may perform `action` ("ssm:GetParameter") on `resource` (an ARN;
 * "*" for actions without resource-level permissions).
 */
export function authorize(principal: Principal, action: string, resource: string, ctx: AuthorizationContext): void {
  if (allowed(principal, action, resource, ctx)) return;
  throw new AwsError(
    "AccessDeniedException",
    `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
  );
}

function allowed(principal: Principal, action: string, resource: string, ctx: AuthorizationContext): boolean {
  switch (principal.name) {
    case "operator":
      return true;
    case "reader":
      return READ_ONLY.test(action);
    case "runner":
      return RUNNER_ACTIONS.has(action) && resource.startsWith(ctx.runnerParameterArnPrefix);
  }
}
