import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

/** The drizzle client over the D1 binding; `$client` is the binding itself (for batches of plain statements). */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

/** The drizzle client over the D1 binding. */
export function getDb(env: { DB: D1Database }): Db {
  return drizzle(env.DB, { schema });
}
