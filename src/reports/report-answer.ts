import type { Context } from "hono";
import type { AppEnv } from "../env";
import { toCsv } from "../domain/reports";

/** A report as JSON, or its rows as a CSV download with `format=csv` (`cityId` null: every city). */
export function reportAnswer(
  c: Context<AppEnv>,
  name: string,
  format: "json" | "csv",
  r: { cityId: string | null; from: string; to: string; columns: string[]; rows: Record<string, unknown>[] },
) {
  if (format === "json") return c.json(r, 200);
  return c.body(toCsv(r.columns, r.rows), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name}-${r.cityId ?? "all"}-${r.from}-${r.to}.csv"`,
  });
}
