/** The technician side of an order: tasks, the grab pool, and the visit's steps. */
import { config } from "../config";
import { gridDisk } from "h3-js";
import { getDb } from "../db/client";
import { cachedService } from "../catalog/reference.service";
import { bookableService } from "../db/repositories/booking.repo";
import { findOrder, grabPool, listOrders, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { areaOf, haversineKm } from "../domain/geo";
import { areaPoint, orderPoint } from "../lib/coordinates";
import { isRevealed, LIVE_STATUSES } from "../domain/order-state";
import { maskPhone } from "../domain/phone";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { Pii } from "../lib/pii";
import { holdFor, jobOf } from "./dispatch.service";
import {
  armEnRouteDeadline,
  clearDeadline,
  invalidTransition,
  redispatch,
  switchTechnician,
  transition,
  type Actor,
} from "../orders/order-flow.service";
import { orderView } from "../orders/orders.view";
import { completionSplit } from "../money/order-money.service";
import { assertNoPendingExtraCharge } from "../visit/changes.service";
import { assertPhotoTaken } from "../visit/photos.service";
import { checkStartCode } from "../visit/start-code.service";
import { virtualNumberFor } from "../visit/number-privacy.service";
import { mayShare } from "../privacy/consents.service";
import { creditFactStatementsOf } from "../credit";
import { LATE_GRACE_MS } from "../domain/credit";

export type TaskAction = "accept" | "decline" | "depart" | "arrive" | "start" | "complete" | "cancel";

const graceMs = (env: Env) => config(env).REVEAL_GRACE_MINUTES * 60_000;
const geofenceMeters = (env: Env) => config(env).GEOFENCE_METERS;

/** Whether the technician may see the exact address and the customer's phone now. */
export function revealed(env: Env, order: OrderRow, now = Date.now()): boolean {
  return isRevealed(order, graceMs(env), now);
}

/**
 * An order as a technician sees it: the exact address and phone only while it is theirs and
 * revealed; someone else's (a grab job, one they just declined) never shows who has it.
 */
export async function taskView(env: Env, order: OrderRow, technicianId: string) {
  const base = await orderView(env, order, { viewer: "technician" });
  const pii = await Pii.fromEnv(env);
  const addr = JSON.parse(await pii.decrypt("order_address", order.addressEnc)) as {
    label: string;
    text: string;
    contactName: string;
    contactPhone: string;
  };
  const mine = order.technicianId === technicianId;
  const open = mine && revealed(env, order);
  // While number privacy binds them, the technician calls the virtual number, never the real one.
  const virtualNumber = open ? await virtualNumberFor(env, order, { technicianId }) : null;
  // Without the customer's consent to contact sharing the real number is never shown (README "Personal data").
  const realPhone = open && virtualNumber === null && (await mayShare(env, order.customerId, "contact_sharing"));
  return {
    ...base,
    technician: mine ? base.technician : null,
    // Exact (opened from its sealed column) while revealed, else its ~1 km area.
    location: open ? await orderPoint(env, order) : areaPoint(order),
    address: open
      ? {
          text: addr.text,
          contactName: addr.contactName,
          contactPhone: virtualNumber ?? (realPhone ? addr.contactPhone : maskPhone(addr.contactPhone)),
        }
      : { text: null, contactName: addr.contactName.slice(0, 1) + "*", contactPhone: maskPhone(addr.contactPhone) },
    revealed: open,
    virtualNumber,
  };
}

async function myOrder(env: Env, technicianId: string, orderId: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.technicianId !== technicianId) throw notFound("Order");
  return order;
}

export async function getTask(env: Env, technicianId: string, orderId: string) {
  return taskView(env, await myOrder(env, technicianId, orderId), technicianId);
}

/** The technician's current and upcoming orders. */
export async function listTasks(env: Env, technicianId: string, q: { limit: number; cursor?: string; all?: boolean }) {
  const rows = await listOrders(getDb(env), { technicianId, beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(rows, q.limit);
  const items = q.all ? page.items : page.items.filter((o) => LIVE_STATUSES.includes(o.status) || o.status === "completed");
  return { items: await Promise.all(items.map((o) => taskView(env, o, technicianId))), nextCursor: page.nextCursor };
}

/** Grab jobs in the technician's cell ring that need only skills they have. */
export async function pool(env: Env, technicianId: string) {
  const db = getDb(env);
  const entry = await rosterEntry(db, technicianId);
  if (!entry) throw notFound("Technician");
  const rows = await grabPool(db, gridDisk(entry.homeCell, config(env).AVAILABILITY_RING));
  const out = [];
  for (const order of rows) {
    const found = await bookableService(db, order.serviceId);
    if (!found || !found.service.requiredSkills.every((s) => entry.profile.skills.includes(s))) continue;
    if (order.triedTechnicians.includes(technicianId)) continue;
    const view = await taskView(env, order, technicianId);
    out.push({ ...view, distanceKm: Math.round(haversineKm(areaPoint(entry.home), order) * 10) / 10 });
  }
  return { items: out };
}

/**
 * Grabs an open job: the technician's calendar takes it first, then the order switches to them
 * only if still open (the first to switch wins; the others get 409 ALREADY_TAKEN and their hold back).
 */
export async function grab(env: Env, technicianId: string, orderId: string) {
  const db = getDb(env);
  const [order, entry] = await Promise.all([findOrder(db, orderId), rosterEntry(db, technicianId)]);
  if (!order || order.dispatchMode !== "grab") throw notFound("Order");
  const taken = () => AppError.of("ALREADY_TAKEN");
  if (order.status !== "dispatching") throw taken();
  const found = await cachedService(env, order.serviceId);
  if (
    !found ||
    !entry ||
    entry.profile.status !== "approved" ||
    !found.service.requiredSkills.every((s) => entry.profile.skills.includes(s))
  )
    throw notFound("Order");
  const actor: Actor = { type: "technician", id: technicianId };
  // The technician reserved for the job at booking already holds the interval.
  const own = order.technicianId === technicianId && order.holdKey !== null;
  const round = own ? order.dispatchRound : order.dispatchRound + 1;
  const reservation = own
    ? { technicianId, holdKey: order.holdKey!, expiresAt: 0, homeCell: entry.homeCell }
    : await holdFor(env, technicianId, await jobOf(env, order, found.service.requiredSkills), round, { entry });
  if (!reservation) {
    // Lost to another grab meanwhile (its switch can briefly leave our own hold in place)?
    if ((await findOrder(db, orderId))?.status !== "dispatching") throw taken();
    throw AppError.of("SLOT_UNAVAILABLE");
  }
  try {
    const next = await switchTechnician(env, order, reservation, actor, "grabbed", "accepted", { dispatchRound: round });
    return taskView(env, next, technicianId);
  } catch (err) {
    if (err instanceof AppError && err.status === 409 && (err.code === "CONCURRENT_UPDATE" || err.code === "INVALID_TRANSITION"))
      throw taken();
    throw err;
  }
}

export interface ActionInput {
  lat?: number;
  lng?: number;
  code?: string;
  reason?: string;
}

/** One step of the visit by the order's technician. */
/** The value of a settled promise, or its failure thrown: parallel reads, judged in a fixed order. */
function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === "rejected") throw r.reason;
  return r.value;
}

export async function act(env: Env, technicianId: string, orderId: string, action: TaskAction, input: ActionInput) {
  const order = await myOrder(env, technicianId, orderId);
  const actor: Actor = { type: "technician", id: technicianId };
  let next: OrderRow;
  // The cell's part of a step (a deadline armed or cleared), run alongside the answer's reads.
  let cell: ((next: OrderRow) => Promise<void>) | undefined;
  switch (action) {
    case "accept": {
      if (order.status !== "assigned") throw invalidTransition(order, "accepted");
      next = await transition(env, order, "accepted", actor, "accepted", { acceptBy: null });
      cell = (n) => armEnRouteDeadline(env, n);
      break;
    }
    case "decline":
      if (order.status !== "assigned") throw invalidTransition(order, "dispatching");
      next = await redispatch(env, order, actor, "declined");
      break;
    case "cancel":
      if (!["accepted", "en_route"].includes(order.status)) throw invalidTransition(order, "dispatching");
      next = await redispatch(env, order, actor, input.reason ? `technician cancelled: ${input.reason}` : "technician cancelled");
      break;
    case "depart":
      next = await transition(env, order, "en_route", actor, "on the way");
      cell = (n) => clearDeadline(env, n);
      break;
    case "arrive": {
      if (input.lat === undefined || input.lng === undefined)
        throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.lat", message: "required" }] });
      if (order.status !== "en_route") throw invalidTransition(order, "arrived");
      // Read together, judged in order: the geofence first, then the arrival photo.
      const [point, photo] = await Promise.allSettled([orderPoint(env, order), assertPhotoTaken(env, order.id, "arrive", technicianId)]);
      const meters = haversineKm({ lat: input.lat, lng: input.lng }, settled(point)) * 1000;
      if (meters > geofenceMeters(env)) {
        throw AppError.of("OUTSIDE_GEOFENCE", { meters: Math.round(meters), limit: geofenceMeters(env) });
      }
      settled(photo);
      next = await transition(
        env,
        order,
        "arrived",
        actor,
        "arrived",
        {},
        // The timeline keeps the distance and the ~1 km area of the reported position: within the
        // geofence, the exact one would give the customer's address away.
        { position: areaOf({ lat: input.lat, lng: input.lng }), meters: Math.round(meters) },
      );
      break;
    }
    case "start": {
      if (order.status !== "arrived") throw invalidTransition(order, "in_service");
      await checkStartCode(env, order, input.code);
      // Started after the booked time (and its grace): a late start on the technician's credit, in the same batch.
      const late = Date.now() > order.startAt + LATE_GRACE_MS;
      next = await transition(
        env,
        order,
        "in_service",
        actor,
        "work started with the customer's code",
        {},
        {},
        {
          extra: late
            ? (guard, now) =>
                creditFactStatementsOf(
                  getDb(env),
                  { technicianId, kind: "late", sourceType: "order", sourceId: order.id, reasonCode: "LATE_START" },
                  guard,
                  now,
                )
            : undefined,
        },
      );
      break;
    }
    case "complete": {
      if (order.status !== "in_service") throw invalidTransition(order, "completed");
      // The checks and the split's reads in one round, judged in this order.
      const checked = await Promise.allSettled([
        assertPhotoTaken(env, order.id, "complete", technicianId),
        assertNoPendingExtraCharge(env, order.id),
        completionSplit(env, order),
      ]);
      settled(checked[0]);
      settled(checked[1]);
      const split = settled(checked[2]);
      next = await transition(env, order, "completed", actor, "completed", { completedAt: Date.now() }, {}, split);
      break;
    }
  }
  const [view] = await Promise.all([taskView(env, next, technicianId), cell?.(next)]);
  return view;
}
