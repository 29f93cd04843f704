import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { CellDO } from "../../durable/cell.do";
import type { TechnicianProfile } from "../../durable/cell.types";
import { DEFAULT_WEEKLY_SHIFTS } from "../../src/domain/shifts";

let n = 0;
/** A fresh CellDO of its own, so tests never share a calendar. */
export function freshCell(label = "cell") {
  n += 1;
  const name = `${label}-${n}-${crypto.randomUUID()}`;
  return { name, stub: env.CELL.getByName(name) };
}

export const SHANGHAI = { lat: 31.2304, lng: 121.4737 };

export function profile(id: string, overrides: Partial<TechnicianProfile> = {}): TechnicianProfile {
  return {
    id,
    merchantId: null,
    name: `Tech ${id}`,
    skills: ["cleaning"],
    home: SHANGHAI,
    serviceRadiusKm: 30,
    status: "approved",
    ratingX100: 480,
    timeZone: "Asia/Shanghai",
    defaultWeekly: DEFAULT_WEEKLY_SHIFTS,
    ...overrides,
  };
}

/** 10:00 Shanghai time on a date a few days ahead, plus `hours`. */
export function shanghaiAt(hours: number, daysAhead = 3): number {
  const day = new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
  return Date.parse(`${day}T10:00:00+08:00`) + hours * 3_600_000;
}

export const HOUR = 3_600_000;

/** Makes the cell's batch tick due and runs its alarm (batched dispatch, DISPATCH_STRATEGY=batch). */
export async function runBatch(cell: string): Promise<void> {
  const stub = env.CELL.getByName(cell);
  await runInDurableObject(stub, (_i: CellDO, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = ? WHERE key = 'batch'", Date.now() - 1);
  });
  await runDurableObjectAlarm(stub);
}
