/** The technician side of an order: tasks, the grab pool, and the visit's steps. */
import { config } from "../config";
import { gridDisk } from "h3-js";
import { getDb } from "../db/client";
import { cachedService } from "../catalog/reference.service";
import { bookableService } from "../db/repositories/booking.repo";
import {
  findOrder,
  grabPool,
  listOrders,
  type OrderEventRow,
  type OrderPatch,
  type OrderRow,
  type TimelineEntry,
} from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { areaOf, haversineKm } from "../domain/geo";
import { areaPoint, orderPoint } from "../lib/coordinates";
import { isRevealed, LIVE_STATUSES, type OrderStatus } from "../domain/order-state";
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
  type TransitionEffects,
} from "../orders/order-flow.service";
import { eventRow, orderView, technicianViewOf, type ShownTechnician } from "../orders/orders.view";
import { completionSplit } from "../money/order-money.service";
import { assertNoPendingExtraCharge } from "../visit/changes.service";
import { assertPhotoTaken } from "../visit/photos.service";
import { checkStartCode } from "../visit/start-code.service";
import { virtualNumberFor } from "../visit/number-privacy.service";
import { grantedBy, mayShare } from "../privacy/consents.service";
import { taskFacts } from "./tasks.repo";
import { creditFactStatementsOf } from "../credit";
import { LATE_GRACE_MS } from "../domain/credit";

export type TaskAction = "accept" | "decline" | "depart" | "arrive" | "start" | "complete" | "cancel";

const graceMs = (env: Env) => config(env).REVEAL_GRACE_MINUTES * 60_000;
const geofenceMeters = (env: Env) => config(env).GEOFENCE_METERS;

/** Whether the technician may see the exact address and the customer's phone now. */
export function revealed(env: Env, order: OrderRow, now = Date.now()): boolean {
  return isRevealed(order, graceMs(env), now);
}

/** What a task view needs beyond the order, read with it in one round trip (`taskFacts`). */
export interface TaskFacts {
  events: OrderEventRow[];
  technician: ShownTechnician | null;
  /** The customer allows their contact phone to be shown to the order's technician. */
  contactSharing: boolean;
}

/**
 * An order as a technician sees it: the exact address and phone only while it is theirs and
 * revealed; someone else's (a grab job, one they just declined) never shows who has it. With
 * `known` (the step's own reads), it reads nothing more from D1 but the number privacy binding,
 * while the number is revealed and number privacy is on; the service and the city come from the
 * isolate's reference copies.
 */
export async function taskView(env: Env, order: OrderRow, technicianId: string, known?: TaskFacts) {
  const base = known
    ? await technicianViewOf(env, order, known.events, known.technician)
    : await orderView(env, order, { viewer: "technician" });
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
  const realPhone =
    open && virtualNumber === null && (known ? known.contactSharing : await mayShare(env, order.customerId, "contact_sharing"));
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

/** Adds the timeline entry a write made to the facts a view is built from. */
const wrote = (order: OrderRow, known: TaskFacts) => (event: TimelineEntry, at: number) => {
  known.events = [...known.events, eventRow(order.id, event, at)];
};

/** The order (the technician's own, else 404) with what its view needs, in one D1 round trip. */
async function myTask(env: Env, technicianId: string, orderId: string): Promise<{ order: OrderRow; known: TaskFacts; homeCell?: string }> {
  const f = await taskFacts(getDb(env), orderId, technicianId);
  if (!f.order || f.order.technicianId !== technicianId) throw notFound("Order");
  return { order: f.order, known: knownOf(f), homeCell: f.technician?.homeCell };
}

/** A task view's facts from `taskFacts`. */
function knownOf(f: Awaited<ReturnType<typeof taskFacts>>): TaskFacts {
  const t = f.technician;
  return {
    events: f.events,
    technician: t ? { id: t.id, name: t.name, ratingX100: t.ratingX100 } : null,
    contactSharing: grantedBy("contact_sharing", f.contactConsent),
  };
}

export async function getTask(env: Env, technicianId: string, orderId: string) {
  const { order, known } = await myTask(env, technicianId, orderId);
  return taskView(env, order, technicianId, known);
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
  // The order with what its view needs, beside the technician as dispatch sees them.
  const [facts, entry] = await Promise.all([taskFacts(db, orderId, technicianId), rosterEntry(db, technicianId)]);
  const order = facts.order;
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
    const known = knownOf(facts);
    const next = await switchTechnician(
      env,
      order,
      reservation,
      actor,
      "grabbed",
      "accepted",
      { dispatchRound: round },
      { written: wrote(order, known) },
    );
    return taskView(env, next, technicianId, known);
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

/** The value of a settled promise, or its failure thrown: parallel reads, judged in a fixed order. */
function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === "rejected") throw r.reason;
  return r.value;
}

/**
 * One step of the visit by the order's technician: one D1 round trip reads the order, its timeline,
 * the technician, the customer's contact-sharing choice (and the photo the step needs); the step's
 * checks; one batch writes the change; the cell's part (a deadline) runs beside building the answer.
 */
export async function act(env: Env, technicianId: string, orderId: string, action: TaskAction, input: ActionInput) {
  // The photo a step needs is read in the same round as the order (judged after it).
  const photoKind = action === "arrive" || action === "complete" ? action : null;
  const [task, photoTaken] = await Promise.allSettled([
    myTask(env, technicianId, orderId),
    photoKind ? assertPhotoTaken(env, orderId, photoKind, technicianId) : Promise.resolve(),
  ]);
  const { order, known, homeCell } = settled(task);
  const actor: Actor = { type: "technician", id: technicianId };
  let next: OrderRow;
  // A step's change; its timeline entry joins what the view shows, so nothing is read again.
  const step = (to: OrderStatus, reason: string, patch: OrderPatch = {}, data: Record<string, unknown> = {}, effects?: TransitionEffects) =>
    transition(env, order, to, actor, reason, patch, data, { ...effects, technicianCell: homeCell, written: wrote(order, known) });
  // The cell's part of a step (a deadline armed or cleared), run alongside the answer's reads.
  let cell: ((next: OrderRow) => Promise<void>) | undefined;
  switch (action) {
    case "accept": {
      if (order.status !== "assigned") throw invalidTransition(order, "accepted");
      next = await step("accepted", "accepted", { acceptBy: null });
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
      next = await step("en_route", "on the way");
      cell = (n) => clearDeadline(env, n);
      break;
    case "arrive": {
      if (input.lat === undefined || input.lng === undefined)
        throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.lat", message: "required" }] });
      if (order.status !== "en_route") throw invalidTransition(order, "arrived");
      // Judged in order: the geofence first, then the arrival photo (read with the order).
      const meters = haversineKm({ lat: input.lat, lng: input.lng }, await orderPoint(env, order)) * 1000;
      if (meters > geofenceMeters(env)) {
        throw AppError.of("OUTSIDE_GEOFENCE", { meters: Math.round(meters), limit: geofenceMeters(env) });
      }
      settled(photoTaken);
      next = await step(
        "arrived",
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
      next = await step(
        "in_service",
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
      // The checks and the split's reads in one round, judged in this order (the photo was read with the order).
      const checked = await Promise.allSettled([assertNoPendingExtraCharge(env, order.id), completionSplit(env, order)]);
      settled(photoTaken);
      settled(checked[0]);
      const split = settled(checked[1]);
      next = await step("completed", "completed", { completedAt: Date.now() }, {}, split);
      break;
    }
  }
  // The facts stand for the order only while their timeline ends with its last change (a
  // redispatched order was changed without telling them): otherwise the view is read afresh.
  const current = known.events.at(-1)?.id === next.lastEventId;
  const [view] = await Promise.all([taskView(env, next, technicianId, current ? known : undefined), cell?.(next)]);
  return view;
}
