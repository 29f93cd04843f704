/** Shared by the in-workerd benchmarks: a cell seeded with technicians, and how a result is reported. */
import { env } from "cloudflare:test";
import type { TechnicianProfile } from "../durable/cell.types";
import { DEFAULT_WEEKLY_SHIFTS } from "../src/domain/shifts";

export const QUICK = (env as unknown as { BENCH_QUICK?: string }).BENCH_QUICK === "1";
export const HOME = { lat: 31.2304, lng: 121.4737 };

/** Technician i: homes on a grid of 500 m steps around HOME, on duty around the clock. */
export function profile(i: number): TechnicianProfile {
  return {
    id: `t${i}`,
    merchantId: null,
    name: `T${i}`,
    skills: ["cleaning"],
    home: { lat: HOME.lat + ((i % 20) - 10) * 0.005, lng: HOME.lng + (Math.floor(i / 20) - 5) * 0.005 },
    serviceRadiusKm: 30,
    status: "approved",
    ratingX100: 450,
    timeZone: "Asia/Shanghai",
    defaultWeekly: Object.fromEntries(
      Object.keys(DEFAULT_WEEKLY_SHIFTS).map((d) => [d, [{ start: "00:00", end: "24:00" }]]),
    ) as TechnicianProfile["defaultWeekly"],
  };
}

/** A fresh cell that knows `count` technicians. */
export async function seeded(name: string, count: number) {
  const stub = env.CELL.getByName(`${name}-${crypto.randomUUID()}`);
  await stub.syncRoster(
    Array.from({ length: count }, (_, i) => profile(i)),
    1,
  );
  return stub;
}

/** One `BENCH {json}` line, which bench/node/run.ts records. */
export function report(name: string, data: Record<string, unknown>) {
  console.log(`BENCH ${JSON.stringify({ name, ...data })}`);
}
