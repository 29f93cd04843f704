import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

/** The drizzle client over the D1 binding; `$client` is the binding itself (for batches of plain statements). */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const clients = new WeakMap<D1Database, Db>();

/**
 * The drizzle client over the D1 binding, built once per binding object (so once per isolate in
 * production, however many services of a request ask for it).
 */
export function getDb(env: { DB: D1Database }): Db {
  let db = clients.get(env.DB);
  if (!db) {
    db = drizzle(env.DB, { schema });
    clients.set(env.DB, db);
  }
  return db;
}
