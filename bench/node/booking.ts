/**
 * The booking workload shared by W1, W2, W10, the naive D1 path and the PostgreSQL peer: which
 * technician and slot each attempt asks for (a fixed share repeating the attempt before it, so it
 * must lose), one booking as quote + order, and the audit of the calendars afterwards.
 */
import { inParallel, type Client } from "./api.ts";
import { percentiles, runLoad, summary, type LoadBounds, type LoadResult, type Outcome, type Percentiles } from "./load.ts";
import { localDate, SERVICE_ID, type Customer, type Technician } from "./world.ts";

/** Local start times of the slot grid: 2-hour jobs with 30 minutes between them for travel. */
const SLOT_TIMES = ["08:00", "10:30", "13:00", "15:30", "18:00"];
/** The service books from 2 hours ahead up to 14 days ahead: days 1…13 are always inside. */
const FIRST_DAY = 1;
const LAST_DAY = 13;

export interface Target {
  technicianId: string;
  /** ISO 8601 with the city's offset. */
  start: string;
}

/** Hands out technician-slot pairs never asked for before, technician by technician, then slot by slot. */
export class TargetPool {
  private next = 0;
  private readonly technicians: readonly Technician[];

  constructor(technicians: readonly Technician[]) {
    this.technicians = technicians;
  }

  get capacity(): number {
    return this.technicians.length * SLOT_TIMES.length * (LAST_DAY - FIRST_DAY + 1);
  }

  take(): Target {
    const n = this.next++;
    if (n >= this.capacity) throw new Error(`the bench ran out of free slots (${this.capacity}); lower the attempt counts`);
    const tech = this.technicians[n % this.technicians.length]!;
    const slot = Math.floor(n / this.technicians.length);
    const day = FIRST_DAY + Math.floor(slot / SLOT_TIMES.length);
    return { technicianId: tech.id, start: `${localDate(day)}T${SLOT_TIMES[slot % SLOT_TIMES.length]}:00+08:00` };
  }
}

/**
 * The attempts of one storm: every `conflictEvery`-th attempt asks for exactly the pair of the
 * attempt before it (started right after it, so the two race when clients run concurrently).
 */
export function plan(pool: TargetPool, attempts: number, conflictEvery: number): { targets: Target[]; repeats: boolean[] } {
  const targets: Target[] = [];
  const repeats: boolean[] = [];
  for (let i = 0; i < attempts; i++) {
    const repeat = conflictEvery > 0 && i % conflictEvery === conflictEvery - 1;
    targets.push(repeat ? targets[i - 1]! : pool.take());
    repeats.push(repeat);
  }
  return { targets, repeats };
}

export interface BookOutcome extends Outcome {
  kind: "booked" | "conflict" | "error";
  orderId?: string;
  status?: number;
  code?: string;
  quoteMs?: number;
  orderMs?: number;
}

let keys = 0;

/** One customer books one target on Doorstep: `POST /v1/quotes`, then `POST <orderPath>`. */
export async function bookDoorstep(api: Client, c: Customer, t: Target, orderPath = "/v1/orders"): Promise<BookOutcome> {
  const t0 = performance.now();
  const q = await api.request<{ id: string; start: string }>("POST", "/v1/quotes", {
    token: c.token,
    body: { serviceId: SERVICE_ID, lat: c.at.lat, lng: c.at.lng, start: t.start },
  });
  const t1 = performance.now();
  if (q.status !== 201) return { kind: "error", status: q.status, code: `quote ${JSON.stringify(q.body).slice(0, 200)}` };
  const naive = orderPath !== "/v1/orders";
  const o = await api.request<{ id: string; code?: string }>("POST", orderPath, {
    token: c.token,
    headers: naive ? {} : { "Idempotency-Key": `bench-${process.pid}-${(keys += 1)}` },
    body: {
      quoteId: q.body.id,
      addressId: c.addressId,
      start: q.body.start,
      technicianId: t.technicianId,
      ...(naive ? {} : { paymentPlan: "after_service" }),
    },
  });
  const times = { quoteMs: t1 - t0, orderMs: performance.now() - t1 };
  if (o.status === 201) return { kind: "booked", orderId: o.body.id, ...times };
  if (o.status === 409) return { kind: "conflict", status: 409, code: o.body.code, ...times };
  return { kind: "error", status: o.status, code: JSON.stringify(o.body).slice(0, 200), ...times };
}

export interface Acknowledged {
  orderId: string;
  technicianId: string;
  start: number;
  lat: number;
  lng: number;
}

export interface StormResult {
  attempts: number;
  conflictShare: number;
  booked: number;
  conflicts: number;
  errors: number;
  /** Distinct technician-slot pairs asked for. */
  pairs: number;
  /** Pairs acknowledged to more than one client: double bookings. */
  pairsDoubleBooked: number;
  /** Free pairs nobody got (not a correctness failure; it lowers the rate). */
  pairsUnbooked: number;
  bookingsPerSecond: number;
  /** The two halves of a booking: `POST /quotes` and the order request. */
  quoteMs: Percentiles;
  orderMs: Percentiles;
  load: ReturnType<typeof summary<BookOutcome>>;
  firstErrors: string[];
}

/** Runs one storm and returns its figures and the acknowledged bookings. */
export async function storm(
  bounds: LoadBounds,
  targets: Target[],
  repeats: boolean[],
  customers: Customer[],
  book: (c: Customer, t: Target) => Promise<BookOutcome>,
  stop?: () => boolean,
): Promise<{ result: StormResult; acked: Acknowledged[]; raw: LoadResult<BookOutcome> }> {
  const raw = await runLoad<BookOutcome>(
    { ...bounds, maxOps: Math.min(bounds.maxOps, targets.length) },
    (i, client) => book(customers[client % customers.length]!, targets[i]!),
    stop,
  );
  const acked: Acknowledged[] = [];
  const winners = new Map<Target, number>();
  for (const o of raw.outcomes) {
    const t = targets[o.index]!;
    winners.set(t, (winners.get(t) ?? 0) + (o.outcome.kind === "booked" ? 1 : 0));
    if (o.outcome.kind === "booked") {
      const c = customers[o.client % customers.length]!;
      acked.push({ orderId: o.outcome.orderId!, technicianId: t.technicianId, start: Date.parse(t.start), lat: c.at.lat, lng: c.at.lng });
    }
  }
  const counts = [...winners.values()];
  const booked = raw.kinds.booked ?? 0;
  return {
    raw,
    acked,
    result: {
      attempts: raw.ops,
      conflictShare: repeats.slice(0, raw.ops).filter(Boolean).length / Math.max(1, raw.ops),
      booked,
      conflicts: raw.kinds.conflict ?? 0,
      errors: raw.kinds.error ?? 0,
      pairs: counts.length,
      pairsDoubleBooked: counts.filter((n) => n > 1).length,
      pairsUnbooked: counts.filter((n) => n === 0).length,
      bookingsPerSecond: Math.round((booked / raw.elapsedMs) * 10_000) / 10,
      quoteMs: percentiles(raw.outcomes.flatMap((o) => (o.outcome.quoteMs === undefined ? [] : [o.outcome.quoteMs]))),
      orderMs: percentiles(raw.outcomes.flatMap((o) => (o.outcome.orderMs === undefined ? [] : [o.outcome.orderMs]))),
      load: summary(raw),
      firstErrors: raw.outcomes
        .filter((o) => o.outcome.kind === "error")
        .slice(0, 3)
        .map((o) => `${o.outcome.status ?? ""} ${o.outcome.code ?? (o.outcome as { error?: string }).error ?? ""}`),
    },
  };
}

// ---- the audit ----

interface ScheduleItem {
  orderId: string;
  /** The dispatch round the interval was held for (a booking's first hold is round 1). */
  dispatchRound: number | null;
  start: string;
  end: string;
  state: "held" | "booked";
}

/** Travel gap the cell requires between jobs at two points (DESIGN.md travel model, configured defaults). */
function travelGapMs(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
  const km = 2 * 6371 * Math.asin(Math.sqrt(h));
  return (Math.ceil(((km * 1.4) / 25) * 60) + 10) * 60_000;
}

export interface Audit {
  technicians: number;
  calendarItems: number;
  /** Pairs of intervals on one calendar that overlap. */
  overlaps: number;
  /** Pairs of acknowledged bookings closer than the travel gap between them. */
  travelViolations: number;
  acknowledged: number;
  /** Acknowledged bookings missing from their technician's calendar in the cell. */
  missingInCell: number;
  /** Acknowledged bookings missing from D1 (checked when a D1 listing is given). */
  missingInD1: number | null;
  /** Calendar items of no acknowledged booking: holds of requests that never answered (they expire). */
  unacknowledgedItems: number;
}

/** Reads every technician's calendar from its cell and checks it against the acknowledged bookings. */
export async function auditCalendars(
  api: Client,
  adminToken: string,
  technicians: readonly Technician[],
  acked: readonly Acknowledged[],
  d1OrderIds?: Set<string>,
  /** Bookings acknowledged earlier in the run: not checked here, but not strangers on a calendar either. */
  earlier: readonly Acknowledged[] = [],
): Promise<Audit> {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 15 * 86_400_000).toISOString();
  const calendars = await inParallel([...technicians], 8, async (t) => {
    const s = await api.must<{ items: ScheduleItem[] }>(
      200,
      "GET",
      `/v1/admin/technicians/${t.id}/schedule?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      { token: adminToken },
    );
    return { technicianId: t.id, items: s.items };
  });
  return auditItems(calendars, acked, earlier, d1OrderIds);
}

/** The audit proper, over calendars already read: overlaps, travel gaps, and acknowledged bookings present. */
export function auditItems(
  calendars: readonly { technicianId: string; items: readonly ScheduleItem[] }[],
  acked: readonly Acknowledged[],
  earlier: readonly Acknowledged[] = [],
  d1OrderIds?: Set<string>,
): Audit {
  const byKey = new Map([...earlier, ...acked].map((a) => [`${a.orderId}:1`, a]));
  let overlaps = 0;
  let travelViolations = 0;
  let items = 0;
  let unacknowledged = 0;
  const seen = new Set<string>();
  for (const cal of calendars) {
    const list = cal.items
      .map((i) => ({ key: `${i.orderId}:${i.dispatchRound}`, start: Date.parse(i.start), end: Date.parse(i.end) }))
      .sort((a, b) => a.start - b.start);
    items += list.length;
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      const ackA = byKey.get(a.key);
      if (ackA?.technicianId === cal.technicianId) seen.add(a.key);
      else unacknowledged += 1;
      for (let j = i + 1; j < list.length && list[j]!.start < a.end + 3 * 3_600_000; j++) {
        const b = list[j]!;
        if (b.start < a.end) overlaps += 1;
        const ackB = byKey.get(b.key);
        if (ackA && ackB && b.start >= a.end && b.start - a.end < travelGapMs(ackA, ackB)) travelViolations += 1;
      }
    }
  }
  return {
    technicians: calendars.length,
    calendarItems: items,
    overlaps,
    travelViolations,
    acknowledged: acked.length,
    missingInCell: acked.filter((a) => !seen.has(`${a.orderId}:1`)).length,
    missingInD1: d1OrderIds ? acked.filter((a) => !d1OrderIds.has(a.orderId)).length : null,
    unacknowledgedItems: unacknowledged,
  };
}

/**
 * The audit must be able to fail: on planted calendars it has to find the overlap, the booking
 * closer than its travel gap, the acknowledged booking that is missing, and the stranger.
 */
export function auditFindsPlantedFaults(): boolean {
  const at = (h: number) => new Date(Date.UTC(2030, 0, 1, h)).toISOString();
  const ack = (orderId: string, h: number, lng: number): Acknowledged => ({
    orderId,
    technicianId: "t1",
    start: Date.parse(at(h)),
    lat: 31.2,
    lng,
  });
  const acked = [ack("a", 1, 121.4), ack("b", 2, 121.4), ack("c", 4, 121.4), ack("d", 6, 121.5), ack("e", 9, 121.4)];
  const calendars = [
    {
      technicianId: "t1",
      items: [
        { orderId: "a", dispatchRound: 1, start: at(1), end: at(3), state: "booked" as const }, // overlaps b
        { orderId: "b", dispatchRound: 1, start: at(2), end: at(4), state: "booked" as const },
        { orderId: "c", dispatchRound: 1, start: at(4), end: at(6), state: "booked" as const }, // c → d: ~9.5 km in 0 minutes
        { orderId: "d", dispatchRound: 1, start: at(6), end: at(8), state: "booked" as const },
        { orderId: "x", dispatchRound: 1, start: at(12), end: at(13), state: "held" as const }, // nobody was told
      ], // e is missing
    },
  ];
  const a = auditItems(calendars, acked, [], new Set(["a", "b", "c", "d"]));
  return a.overlaps === 1 && a.travelViolations >= 1 && a.missingInCell === 1 && a.missingInD1 === 1 && a.unacknowledgedItems === 1;
}

/** Every order id in D1, through the operators' order list. */
export async function d1OrderIds(api: Client, adminToken: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { items: { id: string }[]; nextCursor: string | null } = await api.must(
      200,
      "GET",
      `/v1/admin/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { token: adminToken },
    );
    for (const o of page.items) ids.add(o.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}
