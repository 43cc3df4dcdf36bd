/**
 * A CodeBuild project's service role that holds exactly the statements tornade gives it.
 *
 * aws-cdk-lib's Project adds grants of its own to whatever role it is given: write access to a log group named after
 * the project (`/aws/codebuild/NAME`, with logs:CreateLogGroup), report-group actions, and pull access to the image's
 * repository. A runner build's role is a job's credentials (CodeBuild serves them to the build's container), so the
 * project is handed an immutable view of the role (`withoutPolicyUpdates`) and every grant is made on the role itself,
 * where a reader of this code (and infra/test/codebuild.test.ts) sees all of it.
 */
import { aws_iam as iam, aws_logs as logs } from "aws-cdk-lib";
import type { Construct } from "constructs";

export interface ProjectRole {
  /** The role itself: add permissions here. */
  readonly role: iam.Role;
  /** What the project is given: aws-cdk-lib's own grants to it are dropped. */
  readonly forProject: iam.IRole;
}

export function projectRole(scope: Construct, id: string, description: string): ProjectRole {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal("codebuild.amazonaws.com"), description });
  return { role, forProject: role.withoutPolicyUpdates() };
}

/**
 * Writing the build's logs into its project's own log group: logs:CreateLogStream and logs:PutLogEvents on that group
 * and its streams (the group's ARN ends in `:*`), nothing else — not CreateLogGroup, not another project's group.
 */
export function grantBuildLogs(role: iam.Role, group: logs.ILogGroup): void {
  role.addToPolicy(new iam.PolicyStatement({ sid: "WriteBuildLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [group.logGroupArn] }));
}
