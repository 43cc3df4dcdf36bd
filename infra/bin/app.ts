/**
 * The example CDK app (`npx cdk deploy` in infra/, see docs/deploy-aws.md): one TornadeStack from context values,
 * checked by cdk-nag's AwsSolutions pack, so a deploy fails on the same findings `npm run synth` does.
 */
import { App } from "aws-cdk-lib";
import { addNag } from "./nag.js";
import { appEnv, TornadeStack } from "./stack.js";

const app = new App();
new TornadeStack(app, String(app.node.tryGetContext("stackName") ?? "Tornade"), { env: appEnv() });
addNag(app);
