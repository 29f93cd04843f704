/**
 * The bench's data on top of the demo seed (`npm run seed`): the seeded city (上海) and its
 * pay-after-service cleaning service, plus cells full of technicians and a crowd of customers, all
 * made through the admin and customer API like an operator and real users would.
 */
import { inParallel, signIn, type Client, type Session } from "./api.ts";
import type { BenchPeople } from "./runtime.ts";

/** Seeded by scripts/seed-demo.ts; `after_service` is among its payment options. */
export const SERVICE_ID = "svc_demoCleaning2h";
export const TIME_ZONE = "Asia/Shanghai";
const ADMIN_PHONE = "+8613800000000";

export interface Point {
  lat: number;
  lng: number;
}

export interface Customer extends Session {
  addressId: string;
  at: Point;
}

export interface Technician {
  id: string;
  phone: string;
}

export interface BenchCell {
  cell: string;
  center: Point;
  technicians: Technician[];
}

export interface World {
  admin: Session;
  /** Booking storms (W1, W2, W10, the naive path). */
  storm: BenchCell;
  /** Availability over a full calendar (W4). */
  calendar: BenchCell;
  /** Presence heartbeats (W5). */
  presence: BenchCell;
  customers: Customer[];
  setupMs: number;
}

/** Deterministic jitter in [-1, 1) for index i (no Math.random: runs are comparable). */
const jitter = (i: number, salt: number) => ((((i + 1) * 2654435761 + salt * 40503) >>> 0) % 10_000) / 5_000 - 1;

function near(center: Point, i: number, spreadDeg: number): Point {
  return { lat: center.lat + jitter(i, 1) * spreadDeg, lng: center.lng + jitter(i, 2) * spreadDeg };
}

/** Signs in `count` customers, each with one address within about 500 m of `center`. */
async function addCustomers(api: Client, center: Point, count: number): Promise<Customer[]> {
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const session = await signIn(api, `+86137${String(10_000_000 + i)}`);
      const at = near(center, i, 0.004);
      const address = await api.must<{ id: string }>(201, "POST", "/v1/me/addresses", {
        token: session.token,
        body: { label: "家", text: `压测路 ${i + 1} 号`, ...at, contactName: `客户${i}`, contactPhone: `137${String(10_000_000 + i)}` },
      });
      return { ...session, addressId: address.id, at };
    },
  );
}

/**
 * Completes the bench world through the API of a freshly seeded runtime whose D1 already holds the
 * bench technicians: the operator signs in, customers sign up with their addresses, and one
 * availability query per bench cell makes each cell load its roster from D1 (as any cell does the
 * first time it is asked), so no storm pays for that.
 */
export async function buildWorld(api: Client, people: BenchPeople, customerCount: number): Promise<World> {
  const t0 = performance.now();
  const admin = await signIn(api, ADMIN_PHONE);
  const service = await api.must<{ paymentOptions: { afterService: boolean } }>(200, "GET", `/v1/services/${SERVICE_ID}`);
  if (!service.paymentOptions.afterService) throw new Error(`${SERVICE_ID} does not offer after_service any more`);
  const customers = await addCustomers(api, people.storm.center, customerCount);
  for (const cell of [people.storm, people.calendar, people.presence]) {
    const r = await api.must<{ slots: { available: number }[] }>(
      200,
      "GET",
      `/v1/availability?serviceId=${SERVICE_ID}&lat=${cell.center.lat}&lng=${cell.center.lng}&date=${localDate(2)}`,
    );
    if (!r.slots.some((s) => s.available >= cell.technicians.length))
      throw new Error(`cell ${cell.cell} does not offer its ${cell.technicians.length} technicians`);
  }
  return { admin, ...people, customers, setupMs: Math.round(performance.now() - t0) };
}

/** The local date `days` ahead in the city's zone, YYYY-MM-DD. */
export function localDate(days: number, now = Date.now()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(now + days * 86_400_000),
  );
}
