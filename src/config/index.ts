/** tornade's configuration: the only module that reads the environment or configuration files. */
export { ConfigSchema, DEFAULT_BODY_LIMIT_BYTES, type Config, type ImageEntry } from "./schema.js";
export { ADMIN_TOKEN_MIN_LENGTH, isLoopbackHost } from "./listener-checks.js";
export { ConfigError, SANDBOX_AWS, loadConfig, sandboxConfig, type LoadOptions } from "./load.js";
export { CONFIG_FILE_ENV, ENV_VARS, hasOwnEnvConfig, type EnvVar } from "./env.js";
export { REDACTED, describeConfig } from "./redact.js";
export { ceilingsOf, loadPolicy, policyOf } from "./policy.js";
export { normalisePrivateKey, PrivateKeyFormatError } from "./private-key.js";
export { configReference } from "./reference.js";
export { TEST_BED_AWS_CREDENTIALS, readTestBedFile, testBedEnvOf, type TestBedEndpoints } from "./testbed-file.js";
export { intakesOf, type Intakes } from "./intake.js";
export { SERVE_NODE_OPTIONS } from "./node-options.js";
