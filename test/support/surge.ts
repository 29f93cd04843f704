import { runInDurableObject } from "cloudflare:test";
import type { CellDO } from "../../durable/cell.do";
import { env } from "cloudflare:test";

/** Moves the cell's last surge evaluation `ms` into the past, as if that much time had passed since. */
export async function ageSurge(cell: string, ms = 10 * 60_000): Promise<void> {
  await runInDurableObject(env.CELL.getByName(cell), (_i: CellDO, state) => {
    const m = state.storage.kv.get<{ evaluatedAt: number }>("surge_memory");
    if (m) state.storage.kv.put("surge_memory", { ...m, evaluatedAt: m.evaluatedAt - ms });
  });
}

/** The demand the cell counted in its window buckets. */
export function countedDemand(cell: string): Promise<number> {
  return runInDurableObject(
    env.CELL.getByName(cell),
    (_i: CellDO, state) => state.storage.sql.exec<{ n: number | null }>("SELECT SUM(count) AS n FROM surge_demand").one().n ?? 0,
  );
}
