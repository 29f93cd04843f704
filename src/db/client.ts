import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema>;

/** The drizzle client over the D1 binding. */
export function getDb(env: { DB: D1Database }): Db {
  return drizzle(env.DB, { schema });
}
