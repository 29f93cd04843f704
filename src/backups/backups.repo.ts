/**
 * The D1 reads of the backup job: the schema as SQLite keeps it (sqlite_master), each table's
 * columns and foreign keys, and one bounded page of a table's rows as SQL literals. The literals
 * come from SQLite's own quote(): integers exactly, reals so that they read back the same, blobs as
 * X'…', text with its quotes doubled; a line break inside text is written as `'||char(10)||'`, so
 * every INSERT stays on one line. Sealed (encrypted) columns are copied as the stored ciphertext.
 */
import type { Db } from "../db/client";

export interface SchemaObject {
  type: "table" | "index" | "trigger" | "view";
  name: string;
  tableName: string;
  sql: string;
}

/** An identifier quoted for SQL ("name", inner quotes doubled). */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Every object of the database a restore must recreate: SQLite's own (sqlite_*) and D1's internal
 * ones (_cf_*) are left out, and so are automatic indexes (no SQL).
 */
export async function schemaObjects(db: Db): Promise<SchemaObject[]> {
  const { results } = await db.$client
    .prepare(
      `SELECT type, name, tbl_name AS tableName, sql FROM sqlite_master
       WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'
       ORDER BY rowid`,
    )
    .all<SchemaObject>();
  return results;
}

/** The insertable columns of a table, in order (generated columns are not listed by table_info). */
export async function columnsOf(db: Db, table: string): Promise<string[]> {
  const { results } = await db.$client.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").bind(table).all<{ name: string }>();
  return results.map((r) => r.name);
}

/** The tables a table's foreign keys point at. */
export async function parentTables(db: Db, table: string): Promise<string[]> {
  const { results } = await db.$client
    .prepare(`SELECT DISTINCT "table" AS parent FROM pragma_foreign_key_list(?)`)
    .bind(table)
    .all<{ parent: string }>();
  return results.map((r) => r.parent);
}

/** One page of a table in rowid order after `afterRowid`: each row's rowid and its VALUES tuple as SQL text. */
export async function rowsPage(
  db: Db,
  table: string,
  columns: string[],
  afterRowid: number,
  limit: number,
): Promise<{ rowid: number; tuple: string }[]> {
  const literal = (c: string) => `replace(replace(quote(${quoteIdent(c)}), char(10), '''||char(10)||'''), char(13), '''||char(13)||''')`;
  const tuple = columns.map(literal).join(` || ',' || `);
  const { results } = await db.$client
    .prepare(`SELECT rowid AS rowid, ${tuple} AS tuple FROM ${quoteIdent(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`)
    .bind(afterRowid, limit)
    .all<{ rowid: number; tuple: string }>();
  return results;
}
