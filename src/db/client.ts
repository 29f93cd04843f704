import { extractTablesRelationalConfig, createTableRelationsHelpers } from "drizzle-orm";
import { DrizzleD1Database } from "drizzle-orm/d1";
import { SQLiteD1Session } from "drizzle-orm/d1/session";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

/** The drizzle client over the D1 binding; `$client` is the binding itself (for batches of plain statements). */
export type Db = DrizzleD1Database<typeof schema> & { $client: D1Database };

const clients = new WeakMap<D1Database, Db>();

/**
 * What `drizzle(binding, { schema })` derives from the schema, derived once per isolate: a request
 * in a D1 session has a binding of its own, and deriving the relations for each cost more CPU than
 * building its statements.
 */
let relational: { dialect: SQLiteAsyncDialect; schema: ConstructorParameters<typeof SQLiteD1Session>[2] } | undefined;

function relationalSchema() {
  if (!relational) {
    const tables = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
    relational = {
      dialect: new SQLiteAsyncDialect(),
      schema: { fullSchema: schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap },
    };
  }
  return relational;
}

/**
 * The drizzle client over the D1 binding, built once per binding object (so once per isolate in
 * production, however many services of a request ask for it), as `drizzle(binding, { schema })` builds it.
 */
export function getDb(env: { DB: D1Database }): Db {
  let db = clients.get(env.DB);
  if (!db) {
    const { dialect, schema: relations } = relationalSchema();
    const session = new SQLiteD1Session(env.DB, dialect, relations, {});
    db = new DrizzleD1Database("async", dialect, session, relations) as Db;
    db.$client = env.DB;
    clients.set(env.DB, db);
  }
  return db;
}
