/**
 * Orders written straight to D1 as copies of a real one, with some columns changed: a history of
 * many orders (customers, dates, statuses, technicians) without walking each through the API.
 */
import { env } from "cloudflare:test";

let columns: string[] | undefined;
let clones = 0;

/** A copy of order `templateId` with `changes` (column name → value) under a new id; the new id. */
export async function cloneOrder(templateId: string, changes: Record<string, string | number | null> = {}): Promise<string> {
  columns ??= (await env.DB.prepare("SELECT name FROM pragma_table_info('orders')").all<{ name: string }>()).results.map((c) => c.name);
  clones += 1;
  const id = `ord_clone${Date.now().toString(36)}${String(clones).padStart(5, "0")}`;
  const set: Record<string, string | number | null> = { ...changes, id };
  const binds: (string | number | null)[] = [];
  const values = columns.map((c) => {
    if (!(c in set)) return c;
    binds.push(set[c]!);
    return `?${binds.length}`;
  });
  binds.push(templateId);
  await env.DB.prepare(`INSERT INTO orders (${columns.join(", ")}) SELECT ${values.join(", ")} FROM orders WHERE id = ?${binds.length}`)
    .bind(...binds)
    .run();
  return id;
}
