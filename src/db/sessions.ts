/**
 * D1 sessions (read replication): a request's queries run in one session, so they see a
 * consistent sequence of database states, starting from a bookmark or a constraint.
 */
import { baseEnv, deriveEnv } from "../config";
import { getDb, type Db } from "./client";

export interface Session {
  /** `env` with its D1 binding replaced by the session: pass it to everything the request runs. */
  env: Env;
  /** The bookmark of the newest state the session has seen (null before its first query). */
  bookmark(): string | null;
}

/** A session starting from `from`: a client's bookmark, any replica, or the primary. */
export function openSession(env: Env, from: string | "first-unconstrained" | "first-primary"): Session {
  const session = env.DB.withSession(from);
  return { env: deriveEnv(env, { DB: session as unknown as D1Database }), bookmark: () => session.getBookmark() };
}

/**
 * A database handle that reads from the primary, whatever session the request runs in: for the few
 * reads that must not lag behind a write made elsewhere (whether an access token was revoked).
 */
export function primaryDb(env: Env): Db {
  return getDb(openSession(baseEnv(env), "first-primary").env);
}
