import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Auth } from "../env";
import { AppError } from "../errors";
import type { Role } from "../domain/roles";
import { verifyAccessToken } from "../lib/jwt";
import { assertTokenCurrent } from "./token-state";

/**
 * Reads a bearer token when present; an invalid one is always 401, never ignored. A valid one must
 * still be current (src/http/token-state.ts): 401 TOKEN_REVOKED, 403 ACCOUNT_DISABLED.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("Authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const auth = match?.[1] ? await verifyAccessToken(c.env, match[1]) : null;
    if (!auth) throw AppError.of("INVALID_TOKEN");
    await assertTokenCurrent(c.env, auth);
    c.set("auth", auth);
  }
  await next();
};

/** Route guard: signed in and holding at least one of `roles` (any role when none given). */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get("auth");
    if (!auth) throw AppError.of("UNAUTHENTICATED");
    if (roles.length > 0 && !auth.roles.some((r) => roles.includes(r))) throw AppError.of("FORBIDDEN");
    await next();
  };
}

export const requireAuth = requireRole();

/** The caller of a guarded route. */
export function authOf(c: Context<AppEnv>): Auth {
  const auth = c.get("auth");
  if (!auth) throw AppError.of("UNAUTHENTICATED");
  return auth;
}
