/**
 * Query plans: what SQLite will read for a statement (EXPLAIN QUERY PLAN), so tests can assert that a
 * hot read is an index range and not a walk through a table that grows with history. The cell's side
 * is `cellPlan` in cell.ts; both are checked with `tableScans`.
 */
import { env } from "cloudflare:test";

/**
 * D1's plan for `query`, one line per step. Without `bindings` every `?` is bound to NULL: a value
 * does not change which index SQLite picks, only what it finds there.
 */
export async function d1Plan(query: string, bindings?: unknown[]): Promise<string[]> {
  const values = bindings ?? Array.from(query.matchAll(/\?/g), () => null);
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`)
    .bind(...values)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/**
 * The steps of `plan` that read all of one of `tables` (a bare `SCAN <table>`, no index). A scan of
 * a partial index (`SCAN outbox USING INDEX outbox_unsent`) reads only that index's few rows and is
 * not one of them.
 */
export function tableScans(plan: string[], tables: string[]): string[] {
  return plan.filter((step) => {
    const m = /^SCAN (\w+)(?: AS \w+)?$/.exec(step.trim());
    return m !== null && tables.includes(m[1]!);
  });
}

/** The statements of the round trips in `sql` (as countingEnv records them: a batch is its statements joined by " ; "). */
export function statementsOf(sql: string[]): string[] {
  return sql.flatMap((s) => s.split(" ; "));
}
