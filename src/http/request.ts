import { config } from "../config";
import { openSession } from "../db/sessions";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { collectOutbox, discardOutbox, sendCollected } from "../notifications/outbox.service";
import { log } from "../lib/log";

const INCOMING_ID = /^[\w.:-]{1,64}$/;

/**
 * The route pattern that answered (`/v1/orders/:id`, never the path with its ids), or
 * "unmatched" when no route did (a 404 of the router).
 */
export function routeOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const path = routes[i]!.path;
    if (!path.endsWith("*")) return path;
  }
  return "unmatched";
}

/**
 * Gives every request an id (the caller's X-Request-Id when sane) and logs one JSON line for it:
 * request id, route pattern, method, status, latency, and who called (account id and roles), never
 * the raw path (it may carry ids) or the query (it may carry a ticket).
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : newId("req");
  c.set("requestId", requestId);
  const started = Date.now();
  await next();
  c.header("X-Request-Id", requestId);
  const status = c.res.status;
  const auth = c.get("auth");
  log(status >= 500 ? "error" : "info", "request", {
    requestId,
    method: c.req.method,
    route: routeOf(c),
    status,
    ms: Date.now() - started,
    accountId: auth?.accountId ?? null,
    roles: auth?.roles ?? [],
  });
};

/** Uploads of files (visit photos, qualification documents, chat images, training lesson media): their routes set their own type and size rules. */
const isFileUpload = (path: string) =>
  path.endsWith("/photos") || path.endsWith("/documents") || path.endsWith("/media") || /^\/v1\/conversations\/[^/]+\/images$/.test(path);

/** Rejects bodies over MAX_BODY_BYTES with 413 before anything reads them. */
export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  if (isFileUpload(c.req.path)) return next();
  const maxSize = config(c.env).MAX_BODY_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw AppError.of("PAYLOAD_TOO_LARGE");
    },
  })(c, next);
};

/** Paths whose bodies are not JSON by their sender's design (payment provider callbacks). */
const NON_JSON_PREFIXES = ["/v1/webhooks/"];

/** A write with a body must say it is JSON; anything else is 415, before validation runs. */
export const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  const path = c.req.path;
  if (
    (method === "POST" || method === "PUT" || method === "PATCH") &&
    !NON_JSON_PREFIXES.some((p) => path.startsWith(p)) &&
    !isFileUpload(path)
  ) {
    const hasBody =
      c.req.header("Content-Length") !== "0" &&
      (c.req.header("Content-Length") !== undefined || c.req.header("Transfer-Encoding") !== undefined);
    const type = c.req.header("Content-Type") ?? "";
    if (hasBody && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
      throw AppError.of("UNSUPPORTED_MEDIA_TYPE");
    }
  }
  await next();
};

/** D1 bookmarks are opaque to clients; anything else in the header is refused. */
const BOOKMARK = /^[\w.:-]{1,256}$/;
const BOOKMARK_HEADER = "X-D1-Bookmark";

/**
 * Reads near the user (D1 read replication): every request runs in a D1 session. A read (GET,
 * HEAD) may be served by any replica at least as new as the client's bookmark (the
 * `X-D1-Bookmark` it got from its last answer), so a client reads its own writes; without one, by
 * the nearest replica. Writes start on the primary. Every answer carries the session's bookmark.
 */
export const d1Session: MiddlewareHandler<AppEnv> = async (c, next) => {
  const bookmark = c.req.header(BOOKMARK_HEADER);
  if (bookmark !== undefined && !BOOKMARK.test(bookmark)) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: `header.${BOOKMARK_HEADER}`, message: "not a D1 bookmark" }] });
  }
  const reads = c.req.method === "GET" || c.req.method === "HEAD";
  const session = openSession(c.env, reads ? (bookmark ?? "first-unconstrained") : "first-primary");
  c.env = session.env;
  await next();
  const latest = session.bookmark();
  if (latest) c.header(BOOKMARK_HEADER, latest);
};

/**
 * Hands the outbox messages a request wrote to the notifications queue once the answer has gone
 * (`waitUntil`), so people hear of it within seconds: the statements that wrote them also collected
 * them (src/db/outbox-collector.ts), so sending costs no D1 statement. An answer of 400 or more
 * sends nothing (a refusal writes nothing; what a 5xx wrote, and what a failed send left, goes with
 * the cron's backstop after OUTBOX_GRACE_MS). Runs after `d1Session`: it collects on the request's
 * own session.
 */
export const sendOutboxAfterAnswer: MiddlewareHandler<AppEnv> = async (c, next) => {
  const env = c.env;
  collectOutbox(env);
  await next();
  let waitUntil: ((p: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    waitUntil = undefined; // no execution context (the app called directly): the cron's backstop sends
  }
  if (c.res.status >= 400 || !waitUntil) {
    discardOutbox(env);
    return;
  }
  waitUntil(sendCollected(env));
};

/**
 * Hands work to the request's waitUntil, to run after the answer has gone. Without an execution
 * context (the app called directly) the work simply runs on; it must not throw either way.
 */
export function afterAnswer(c: Context<AppEnv>): (work: Promise<unknown>) => void {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return () => undefined;
  }
}
