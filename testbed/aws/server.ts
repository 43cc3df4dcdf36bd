/** One HTTP endpoint for every service (AWS JSON 1.1 on POST /) plus the JSON control API under /_control/. */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { CodeBuild } from "./codebuild.js";
import { listBuildsForProject } from "./codebuild-list.js";
import type { AwsControl } from "./control.js";
import { ECS_OPERATIONS, type EcsDeps } from "./ecs.js";
import { authorize, principalOf, type AuthorizationContext, type Principal } from "./iam.js";
import { hasOperation, validateInput, type Service, type ValidationIssue } from "./model.js";
import { AwsError, checkAuthorization, errorResponse, JSON_11, parseTarget } from "./protocol.js";
import type { Ssm } from "./ssm.js";

type Body = Record<string, unknown>;

export interface RequestRecord {
  service: Service;
  operation: string;
  body: unknown;
  errors: string[];
}

export interface ServerDeps {
  region: string;
  ecs: EcsDeps;
  codebuild: CodeBuild;
  ssm: Ssm;
  /** What the runner role may reach (iam.ts). */
  auth: AuthorizationContext;
  control: AwsControl;
  onRequest?: (r: RequestRecord) => void;
  onResponse?: (r: ResponseRecord) => void;
}

export interface ResponseRecord {
  service: Service;
  operation: string;
  status: number;
  body: unknown;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}

/**
 * Model violations become the error the service gives for bad input: a body member of the wrong JSON type fails
 * deserialization (SerializationException, as AWS's JSON services answer); a missing, unknown or out-of-enum member is
 * ECS InvalidParameterException / CodeBuild InvalidInputException / SSM ValidationException (the input errors each API
 * reference lists).
 */
const INPUT_ERROR: Record<Service, string> = { ecs: "InvalidParameterException", codebuild: "InvalidInputException", ssm: "ValidationException" };
/** The error each service answers for a fault of its own. */
const SERVER_ERROR: Record<Service, string> = { ecs: "ServerException", codebuild: "InternalFailure", ssm: "InternalServerError" };

function modelError(service: Service, issues: ValidationIssue[]): AwsError {
  const typeIssue = issues.find((i) => i.kind === "type");
  if (typeIssue) return new AwsError("SerializationException", typeIssue.message);
  const msg = issues.map((i) => i.message).join("; ");
  return new AwsError(INPUT_ERROR[service], msg);
}

const SSM_OPERATIONS: Record<string, (ssm: Ssm, body: Body, principal: Principal, requestId: string) => Body> = {
  PutParameter: (s, b, p, r) => s.putParameter(b, p, r),
  GetParameter: (s, b, p, r) => s.getParameter(b, p, r),
  GetParameters: (s, b, p, r) => s.getParameters(b, p, r),
  GetParametersByPath: (s, b, p, r) => s.getParametersByPath(b, p, r),
  DeleteParameter: (s, b, p) => s.deleteParameter(b, p),
  DeleteParameters: (s, b, p) => s.deleteParameters(b, p),
};

function dispatch(deps: ServerDeps, service: Service, operation: string, body: Body, principal: Principal, requestId: string): Body {
  if (service === "ssm") {
    // Parameter Store authorizes each parameter's ARN itself (ssm.ts).
    const op = SSM_OPERATIONS[operation];
    if (op) return op(deps.ssm, body, principal, requestId);
    throw new AwsError("UnknownOperationException", `Operation ${operation} is not served by this simulator.`);
  }
  // ECS and CodeBuild actions, authorized per action only (the runner role holds none of them).
  authorize(principal, `${service}:${operation}`, "*", deps.auth);
  if (service === "ecs") {
    const op = ECS_OPERATIONS[operation];
    if (op) return op(deps.ecs, body);
  } else {
    if (operation === "StartBuild") return deps.codebuild.startBuild(body);
    if (operation === "BatchGetBuilds") return deps.codebuild.batchGetBuilds(body);
    if (operation === "StopBuild") return deps.codebuild.stopBuild(body);
    if (operation === "BatchGetProjects") return deps.codebuild.batchGetProjects(body);
    if (operation === "ListBuildsForProject") return listBuildsForProject(deps.codebuild.state, body);
  }
  throw new AwsError("UnknownOperationException", `Operation ${operation} is not served by this simulator.`);
}

async function handleAws(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const raw = await readBody(req);
  const target = parseTarget(req.headers["x-amz-target"] as string | undefined);
  let service: Service | undefined;
  let operation = "?";
  try {
    if (req.method !== "POST") throw new AwsError("UnknownOperationException", "Only POST is supported.");
    if (!target) throw new AwsError("UnknownOperationException", "Missing or unknown X-Amz-Target.");
    service = target.service;
    operation = target.operation;
    if (!hasOperation(service, operation)) {
      deps.control.count(service, operation, "UnknownOperationException");
      throw new AwsError("UnknownOperationException", `Operation ${operation} is not served by this simulator.`);
    }
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : {};
    } catch {
      throw new AwsError("SerializationException", "Start of structure or map found where not expected.");
    }
    const issues = validateInput(service, operation, body);
    deps.onRequest?.({ service, operation, body, errors: issues.map((i) => i.message) });
    const principal = principalOf(checkAuthorization(req.headers.authorization, service, deps.region));
    const injected = deps.control.takeFailure(service, operation);
    const injectedError = () => new AwsError(injected?.error ?? "", injected?.message ?? (injected?.error === "ThrottlingException" ? "Rate exceeded" : `Injected ${injected?.error}`));
    if (injected && !injected.afterApplying) throw injectedError();
    if (issues.length) throw modelError(service, issues);
    const out = dispatch(deps, service, operation, body as Body, principal, requestId);
    if (injected) throw injectedError();
    deps.control.count(service, operation);
    deps.onResponse?.({ service, operation, status: 200, body: out });
    send(res, 200, { "content-type": JSON_11, "x-amzn-requestid": requestId }, JSON.stringify(out));
  } catch (e) {
    const err = e instanceof AwsError ? e : new AwsError(SERVER_ERROR[service ?? "ecs"], e instanceof Error ? e.message : String(e));
    if (service && hasOperation(service, operation)) deps.control.count(service, operation, err.code);
    const r = errorResponse(err, requestId);
    send(res, r.status, r.headers, r.body);
  }
}

async function handleControl(control: AwsControl, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const raw = await readBody(req);
  const json = (status: number, v: unknown) => send(res, status, { "content-type": "application/json" }, JSON.stringify(v ?? null));
  try {
    const input: unknown = raw.length ? JSON.parse(raw) : {};
    const arg = input as never; // checked by the control methods' zod schemas
    const route = `${req.method} ${path}`;
    switch (route) {
      case "GET /_control/state":
        return json(200, control.state());
      case "GET /_control/tasks":
        return json(200, control.listTasks());
      case "GET /_control/builds":
        return json(200, control.listBuilds());
      case "GET /_control/parameters":
        return json(200, control.listParameters());
      case "GET /_control/stats":
        return json(200, control.stats());
      case "POST /_control/stats/reset":
        control.resetStats();
        return json(200, {});
      case "POST /_control/quotas/reset":
        control.resetQuotas();
        return json(200, {});
      case "POST /_control/clusters": {
        const name = (input as { name?: unknown }).name;
        if (typeof name !== "string" || !name) return json(400, { error: "name (string) is required" });
        return json(200, control.registerCluster(name));
      }
      case "POST /_control/task-definitions":
        return json(200, control.registerTaskDefinition(arg));
      case "POST /_control/projects":
        return json(200, control.registerProject(arg));
      case "POST /_control/capacity-shortage":
        control.capacityShortage(arg);
        return json(200, {});
      case "DELETE /_control/capacity-shortage":
        control.clearCapacityShortage((input as { capacityProvider?: "FARGATE" | "FARGATE_SPOT" }).capacityProvider);
        return json(200, {});
      case "GET /_control/boot-model":
        return json(200, control.bootModel());
      case "PUT /_control/boot-model":
        return json(200, control.setBootModel(arg));
      case "POST /_control/slow-provisioning":
        control.slowProvisioning(arg);
        return json(200, {});
      case "POST /_control/interrupt-spot":
        return json(200, { interrupted: control.interruptSpot((input as { taskArn?: string }).taskArn) });
      case "POST /_control/kill-container": {
        const taskArn = (input as { taskArn?: unknown }).taskArn;
        if (typeof taskArn !== "string") return json(400, { error: "taskArn (string) is required" });
        return json(200, { killed: control.killContainer(taskArn) });
      }
      case "POST /_control/delete-parameter": {
        const name = (input as { name?: unknown }).name;
        if (typeof name !== "string") return json(400, { error: "name (string) is required" });
        return json(200, { deleted: control.deleteParameter(name) });
      }
      case "POST /_control/fail-next":
        control.failNext(arg);
        return json(200, {});
      default:
        return json(404, { error: `no control route ${route}` });
    }
  } catch (e) {
    return json(400, { error: e instanceof Error ? e.message : String(e) });
  }
}

export function createAwsServer(deps: ServerDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const p = path.startsWith("/_control/") ? handleControl(deps.control, req, res, path) : handleAws(deps, req, res);
    p.catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { "content-type": "text/plain" }, String(e));
    });
  });
}
