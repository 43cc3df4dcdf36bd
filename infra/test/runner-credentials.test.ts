/**
 * Runner credentials (docs/security.md), read off the synthesized template: who may write, read, delete and decrypt
 * the runners' one-time JIT parameters, and that nobody may list them.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_JIT_KMS_KEY, DEFAULT_JIT_PARAMETER_PREFIX } from "../../src/core/runner-env.js";
import { actions, allStatements, functionEnvironment, statementsOf, synthesize, type Statement } from "./template.js";

const { stack, tornade, template } = synthesize();
const creds = tornade.runnerCredentials;
const parameters = stack.resolve(creds.parametersArn);
const keyArn = stack.resolve(creds.key.keyArn);
const viaSsm = {
  StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" },
  StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameters },
};
const fns = { webhook: tornade.controller.deployed("webhook"), worker: tornade.controller.deployed("worker"), events: tornade.controller.functions.events, sweep: tornade.controller.functions.sweep };
const projectRoles = Object.values(tornade.codebuild.projects).map((p) => {
  if (!p.role) throw new Error("a CodeBuild project without a role");
  return p.role;
});

/** The role's SSM and KMS statements, resources resolved. */
function ssmAndKms(role: Parameters<typeof statementsOf>[2]): Statement[] {
  return statementsOf(template, stack, role)
    .filter((s) => actions(s).some((a) => /^(ssm|kms):/.test(a)))
    .map((s) => ({ ...s, Resource: stack.resolve(s.Resource) }));
}

interface KeyPolicyStatement {
  Action: string | string[];
  Principal: { AWS: unknown };
  Condition?: unknown;
}

function keyPolicy(): KeyPolicyStatement[] {
  const keys = Object.values(template.findResources("AWS::KMS::Key")) as { Properties: { KeyPolicy: { Statement: KeyPolicyStatement[] }; EnableKeyRotation?: boolean } }[];
  expect(keys).toHaveLength(1);
  expect(keys[0]?.Properties.EnableKeyRotation).toBe(true);
  return keys[0]!.Properties.KeyPolicy.Statement;
}

const arnOf = (role: { roleArn: string }) => stack.resolve(role.roleArn);

describe("runner credentials", () => {
  it("uses tornade's default prefix and key alias, and tells the controller both", () => {
    expect(creds.parameterPrefix).toBe(DEFAULT_JIT_PARAMETER_PREFIX);
    template.hasResourceProperties("AWS::KMS::Alias", { AliasName: DEFAULT_JIT_KMS_KEY });
    for (const f of Object.values(fns)) {
      expect(functionEnvironment(template, stack, f.fn)).toMatchObject({
        TORNADE_JITCONFIG_PARAMETER_PREFIX: DEFAULT_JIT_PARAMETER_PREFIX,
        TORNADE_JITCONFIG_KMS_KEY_ID: keyArn,
      });
    }
  });

  it("lets the runner task role only get and delete parameters under the prefix, and decrypt them through SSM", () => {
    expect(ssmAndKms(tornade.ecs.taskRole)).toEqual([
      expect.objectContaining({ Action: ["ssm:GetParameter", "ssm:DeleteParameter"], Resource: parameters }),
      expect.objectContaining({ Action: "kms:Decrypt", Resource: keyArn, Condition: viaSsm }),
    ]);
  });

  it("lets each CodeBuild project role only resolve (GetParameters) and delete them, and decrypt through SSM", () => {
    for (const role of projectRoles) {
      expect(ssmAndKms(role)).toEqual([
        expect.objectContaining({ Action: ["ssm:GetParameters", "ssm:DeleteParameter"], Resource: parameters }),
        expect.objectContaining({ Action: "kms:Decrypt", Resource: keyArn, Condition: viaSsm }),
      ]);
    }
  });

  it("lets the launching functions put and delete parameters and encrypt, never read or decrypt; the events function only delete; the webhook nothing", () => {
    for (const f of [fns.worker, fns.sweep]) {
      expect(ssmAndKms(f.role)).toEqual([
        expect.objectContaining({ Action: ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters"], Resource: parameters }),
        expect.objectContaining({ Action: "kms:GenerateDataKey", Resource: keyArn, Condition: viaSsm }),
      ]);
    }
    // It deletes what an event reports stopped unread (src/providers takeEvent), and writes nothing.
    expect(ssmAndKms(fns.events.role)).toEqual([expect.objectContaining({ Action: "ssm:DeleteParameters", Resource: parameters })]);
    expect(ssmAndKms(fns.webhook.role)).toEqual([]);
  });

  it("grants no one a way to list parameters", () => {
    const listing = allStatements(template).flatMap(actions).filter((a) => /^ssm:(DescribeParameters|GetParametersByPath|GetParameterHistory|\*|Get\*|Describe\*)$/.test(a));
    expect(listing).toEqual([]);
  });

  it("has a key whose policy gives the account administration but no use, and each use to exactly its roles", () => {
    const statements = keyPolicy();
    const uses = (action: string) =>
      statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a === action || a === "kms:*" || (a.endsWith("*") && action.startsWith(a.slice(0, -1)))));
    const principalsOf = (list: KeyPolicyStatement[]) => list.map((s) => s.Principal.AWS);
    expect(principalsOf(uses("kms:Decrypt")).sort()).toEqual([arnOf(tornade.ecs.taskRole), ...projectRoles.map(arnOf)].sort());
    expect(principalsOf(uses("kms:GenerateDataKey")).sort()).toEqual([fns.worker.role, fns.sweep.role].map(arnOf).sort());
    for (const s of [...uses("kms:Decrypt"), ...uses("kms:GenerateDataKey")]) expect(s.Condition).toEqual(viaSsm);
    expect(uses("kms:Encrypt")).toEqual([]);
    expect(uses("kms:ReEncryptFrom")).toEqual([]);
  });
});
