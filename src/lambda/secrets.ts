/**
 * The deployed functions get tornade's two secrets by ARN (TORNADE_PRIVATE_KEY_SECRET_ARN, TORNADE_WEBHOOK_SECRET_ARN,
 * set by infra/lib/controller-env.ts), never as values in their configuration. At cold start they are read through
 * the AWS Parameters and Secrets Lambda Extension the functions carry: GET
 * http://localhost:2773/secretsmanager/get?secretId=ARN with the header X-Aws-Parameters-Secrets-Token set to the
 * function's AWS_SESSION_TOKEN answers GetSecretValue's JSON ("Use AWS Secrets Manager secrets in AWS Lambda
 * functions", https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html); its port is
 * PARAMETERS_SECRETS_EXTENSION_HTTP_PORT. The values become the variables the configuration already reads
 * (SECRET_KEY_PEM accepts PEM text; TORNADE_WEBHOOK_SECRET). Each function reads only the secrets it needs
 * (wiring.ts): the public webhook function never the App's private key.
 */
import { z } from "zod";

export const SECRET_ARN_VARS = {
  privateKey: { arn: "TORNADE_PRIVATE_KEY_SECRET_ARN", value: "SECRET_KEY_PEM" },
  webhookSecret: { arn: "TORNADE_WEBHOOK_SECRET_ARN", value: "TORNADE_WEBHOOK_SECRET" },
} as const;

export type SecretName = keyof typeof SECRET_ARN_VARS;

const SecretValue = z.object({ SecretString: z.string().min(1) });

/**
 * A copy of `env` with each secret of `names` named by ARN (and not given by value) fetched and set by value. A
 * secret not in `names` is never fetched, whatever ARN the environment holds: the webhook function reads only the
 * webhook secret.
 */
export async function resolveSecrets(
  env: NodeJS.ProcessEnv,
  fetchImpl: typeof fetch = fetch,
  names: readonly SecretName[] = ["privateKey", "webhookSecret"],
): Promise<NodeJS.ProcessEnv> {
  const out: NodeJS.ProcessEnv = { ...env };
  const port = env["PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"] ?? "2773";
  for (const { arn: arnVar, value: valueVar } of names.map((n) => SECRET_ARN_VARS[n])) {
    const arn = env[arnVar];
    if (!arn || env[valueVar]) continue;
    const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(arn)}`;
    const res = await fetchImpl(url, { headers: { "X-Aws-Parameters-Secrets-Token": env["AWS_SESSION_TOKEN"] ?? "" } });
    if (!res.ok) {
      throw new Error(
        `${arnVar}: the Parameters and Secrets extension answered ${res.status} for ${arn}. Fix: check the secret exists, has a value, and the function's role may read it`,
      );
    }
    const parsed = SecretValue.safeParse(await res.json());
    if (!parsed.success) throw new Error(`${arnVar}: secret ${arn} has no SecretString. Fix: store the value as text`);
    out[valueVar] = parsed.data.SecretString;
  }
  return out;
}
