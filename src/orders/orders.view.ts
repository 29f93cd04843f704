/**
 * Order views: an order as its customer, its technician or staff may see it, read from D1 or built
 * from what a booking has just written (the same shape either way).
 */
import { cachedCityOfCell, cachedService, type BookableService } from "../catalog/reference.service";
import { getDb } from "../db/client";
import type { CityRow } from "../db/repositories/cities.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { timeline, type OrderEventRow, type OrderRow, type TimelineEntry } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { toZonedIso } from "../domain/zoned";
import { Pii } from "../lib/pii";
import { moneyOfOrder } from "../money/payments.service";
import { virtualNumberFor } from "../visit/number-privacy.service";
import { windowView } from "./quote-window";

/** The technician an order view shows. */
export interface ShownTechnician {
  id: string;
  name: string;
  ratingX100: number;
}

/** A timeline row as written at `at`. */
export const eventRow = (orderId: string, e: TimelineEntry, at: number): OrderEventRow => ({
  id: e.id,
  orderId,
  at,
  actorType: e.actorType,
  actorId: e.actorId,
  fromStatus: e.from,
  toStatus: e.to,
  reason: e.reason,
  data: e.data ?? {},
});

export interface ViewOptions {
  viewer: "customer" | "technician" | "staff";
}

/** What an order view shows beyond the order row. */
export interface ViewFacts {
  events: OrderEventRow[];
  serviceName: { zh: string; en: string } | null;
  timeZone: string;
  technician: ShownTechnician | null;
  payments: Awaited<ReturnType<typeof moneyOfOrder>>["payments"];
  /** The served order's payment due (staff only), if it had one. */
  due?: Awaited<ReturnType<typeof moneyOfOrder>>["due"];
  refunds: Awaited<ReturnType<typeof moneyOfOrder>>["refunds"];
  /** In the clear, for the customer's view only. */
  startCode?: string;
  /** The virtual number that reaches the other side while number privacy binds them. */
  virtualNumber?: string | null;
}

/** A timeline entry's text for people, in both languages, when it carries one. */
function noteOf(data: Record<string, unknown>): { zh: string; en: string } | undefined {
  const n = data.note as { zh?: unknown; en?: unknown } | undefined;
  return n && typeof n.zh === "string" && typeof n.en === "string" ? { zh: n.zh, en: n.en } : undefined;
}

/** An order as its customer, its technician or staff may see it. */
export async function orderView(env: Env, order: OrderRow, opts: ViewOptions) {
  const db = getDb(env);
  const [events, found, city, tech, paid, virtualNumber] = await Promise.all([
    timeline(db, order.id),
    bookableService(db, order.serviceId),
    cityOfCell(db, order.cell),
    order.technicianId ? rosterEntry(db, order.technicianId) : Promise.resolve(undefined),
    // The technician sees the job, not the customer's payments.
    opts.viewer === "technician" ? Promise.resolve({ payments: [], refunds: [], due: null }) : moneyOfOrder(env, order.id),
    // The technician's number comes with the task view (only their own binding's).
    opts.viewer === "customer" ? virtualNumberFor(env, order, { customer: true }) : Promise.resolve(null),
  ]);
  const startCode = opts.viewer === "customer" ? await (await Pii.fromEnv(env)).decrypt("start_code", order.startCodeEnc) : undefined;
  return renderOrder(
    order,
    {
      events,
      ...referenceFacts(found, city),
      technician: tech ? { id: tech.profile.id, name: tech.profile.name, ratingX100: tech.profile.ratingX100 } : null,
      payments: paid.payments,
      refunds: paid.refunds,
      due: paid.due,
      startCode,
      virtualNumber,
    },
    opts,
  );
}

/** What a view takes from the order's service and city. */
const referenceFacts = (found: BookableService | undefined, city: CityRow | undefined) => ({
  serviceName: found ? { zh: found.service.nameZh, en: found.service.nameEn } : null,
  timeZone: city?.timeZone ?? "UTC",
});

/**
 * The technician's view of an order from its timeline and technician already read (no D1 read:
 * the service and the city come from the isolate's reference copies); the same shape as orderView's.
 */
export async function technicianViewOf(env: Env, order: OrderRow, events: OrderEventRow[], technician: ShownTechnician | null) {
  const [found, city] = await Promise.all([cachedService(env, order.serviceId), cachedCityOfCell(env, order.cell)]);
  return renderOrder(
    order,
    {
      events,
      ...referenceFacts(found, city),
      technician: order.technicianId === technician?.id ? technician : null,
      // The technician sees the job, not the customer's payments.
      payments: [],
      refunds: [],
      due: null,
      virtualNumber: null,
    },
    { viewer: "technician" },
  );
}

export type OrderView = ReturnType<typeof renderOrder>;

/** The view of an order from what is known of it (read by orderView, or just written by placeOrder). */
export function renderOrder(order: OrderRow, facts: ViewFacts, opts: ViewOptions) {
  const tz = facts.timeZone;
  const money = (amount: number) => ({ amount, currency: order.currency });
  const tech = facts.technician;
  return {
    id: order.id,
    status: order.status,
    service: { id: order.serviceId, name: facts.serviceName },
    start: toZonedIso(order.startAt, tz),
    end: toZonedIso(order.endAt, tz),
    timeZone: tz,
    window: windowView({ start: order.windowStartAt, end: order.windowEndAt }, tz),
    addressId: order.addressId,
    technician: tech ? { id: tech.id, name: tech.name, rating: tech.ratingX100 / 100 } : null,
    lines: order.lines.map((l) => ({ code: l.code, label: l.label, amount: money(l.amount) })),
    total: money(order.total),
    paymentPlan: order.paymentPlan,
    dispatchMode: order.dispatchMode,
    holdExpiresAt: order.holdExpiresAt === null ? null : new Date(order.holdExpiresAt).toISOString(),
    acceptBy: order.acceptBy === null ? null : new Date(order.acceptBy).toISOString(),
    startCode: opts.viewer === "customer" ? facts.startCode : undefined,
    startCodeLocked: opts.viewer === "technician" ? undefined : order.startCodeLockedAt !== null,
    virtualNumber: opts.viewer === "staff" ? undefined : (facts.virtualNumber ?? null),
    exception: opts.viewer === "staff" ? order.exception : undefined,
    due: opts.viewer === "staff" ? (facts.due ?? null) : undefined,
    merchantId: opts.viewer === "staff" ? order.merchantId : undefined,
    cityId: opts.viewer === "staff" ? order.cityId : undefined,
    cell: opts.viewer === "staff" ? order.cell : undefined,
    notes: order.notes,
    cancelReason: order.cancelReason,
    refund: order.refundDecision
      ? { ...order.refundDecision, amount: money(order.refundDecision.amount), visitFee: money(order.refundDecision.visitFee) }
      : null,
    payments: facts.payments,
    refunds: facts.refunds,
    timeline: facts.events.map((e) => ({
      at: new Date(e.at).toISOString(),
      actor: { type: e.actorType, id: opts.viewer === "staff" ? e.actorId : undefined },
      from: e.fromStatus,
      to: e.toStatus,
      reason: e.reason,
      note: noteOf(e.data),
    })),
    version: order.version,
    createdAt: new Date(order.createdAt).toISOString(),
  };
}
