import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import { config, ConfigError } from "./config";
import { AppError, errorCatalogue, problem, routeNotFound, toAppError } from "./errors";
import { authenticate } from "./http/auth";
import { d1Session, sendOutboxAfterAnswer, limitBody, requestContext, requireJson } from "./http/request";
import { createRouter } from "./http/openapi";
import { documentLimits, rateLimit } from "./http/rate-limit";
import { routes } from "./http/routes";
import type { AppEnv } from "./env";
import { logger } from "./lib/log";

/**
 * Builds the Worker's HTTP app: middleware, every route, errors, and the OpenAPI document.
 * `extraRoutes` are mounted after the product's routes, behind the same middleware and error handling.
 */
export function createApp(extraRoutes: readonly OpenAPIHono<AppEnv>[] = []) {
  const app = createRouter();

  app.use("*", requestContext);
  // Every variable is parsed before anything else runs: a malformed one fails the request here.
  app.use("*", async (c, next) => {
    config(c.env);
    await next();
  });
  app.use(
    "*",
    cors({
      origin: (origin, c) => (allowedOrigins(c.env as Env).includes(origin) ? origin : null),
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id", "Accept-Language", "X-D1-Bookmark"],
      exposeHeaders: ["X-Request-Id", "Retry-After", "Idempotent-Replayed", "X-D1-Bookmark"],
      maxAge: 600,
    }),
  );
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
  app.use("*", limitBody);
  app.use("/v1/*", requireJson);
  app.use("/v1/*", d1Session);
  app.use("/v1/*", authenticate);
  // Before the outbox hand-off and every handler: a refused request reads and writes nothing.
  app.use("/v1/*", rateLimit);
  app.use("/v1/*", sendOutboxAfterAnswer);

  for (const route of [...routes, ...extraRoutes]) app.route("/", route);
  documentLimits(app.openAPIRegistry);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.doc31("/openapi.json", openApiConfig());

  app.notFound((c) => problem(c, routeNotFound(c.req.method, c.req.path)));
  app.onError((err, c) => {
    if (err instanceof ConfigError) return misconfigured(c, err);
    const appError = toAppError(err);
    if (err instanceof AppError && appError.status >= 500) {
      // Raised on purpose (a provider that did not answer, already logged where it happened): no stack.
      logger.warn("problem", { requestId: c.get("requestId"), status: appError.status, errorCode: appError.code });
    } else if (appError.status >= 500) {
      logger.error("unhandled", { requestId: c.get("requestId"), error: String(err), stack: err instanceof Error ? err.stack : undefined });
    }
    return problem(c, appError);
  });
  return app;
}

/** Problems already logged by this isolate: a misconfigured deployment logs each set of problems once, not per request. */
const loggedProblems = new Set<string>();

/**
 * A Worker whose configuration is refused (a malformed variable; outside development a stand-in or a
 * missing secret) serves nothing: 503 MISCONFIGURED naming the variables (never their values), and
 * one `"msg":"configuration"` log line per isolate with the problems.
 */
function misconfigured(c: Context<AppEnv>, err: ConfigError): Response {
  const key = err.problems.join("\n");
  if (!loggedProblems.has(key)) {
    // An isolate serves one configuration; tests pass many. Kept small either way.
    if (loggedProblems.size >= 100) loggedProblems.clear();
    loggedProblems.add(key);
    logger.error("configuration", { requestId: c.get("requestId"), problems: err.problems });
  }
  const variables = err.variables.join(", ");
  return problem(c, AppError.of("MISCONFIGURED", { variables }, { extra: { variables: err.variables } }));
}

/**
 * The document-level part of /openapi.json (everything but the paths and components, which the routes
 * register). `createApp().getOpenAPI31Document(openApiConfig())` is the served document without a
 * request: `npm run sdk` builds the SDK from it.
 */
export function openApiConfig(): Parameters<OpenAPIHono["getOpenAPI31Document"]>[0] {
  return {
    openapi: "3.1.0",
    info: {
      title: "Doorstep API",
      version: "1.0.0",
      description:
        "Edge API for on-site services: catalog, availability, booking, dispatch, the visit, payments. Errors are RFC 9457 problem+json with a stable `code`; `x-error-codes` lists every code with its status, problem type and message in both languages. Every /v1 answer carries `X-D1-Bookmark`: send the last one back on the next request to read your own writes from the nearest replica. Coordinates (`lat`/`lng`) are WGS-84 decimal degrees, taken and answered as they are: the API converts nothing (GCJ-02 points from Chinese map SDKs must be converted by the client; docs/coordinates.md). A typed TypeScript client generated from this document is in the repository's sdk/ (@doorstep/sdk); the WebSocket messages are in docs/websockets.md.",
      "x-error-codes": errorCatalogue(),
    },
    servers: [{ url: "/" }],
  };
}

function allowedOrigins(env: Env): string[] {
  return config(env).CORS_ORIGINS;
}
