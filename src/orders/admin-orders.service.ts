/** Operators' and merchants' view of orders: lists, the exception queue, assignment, explanation. */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import type { Db } from "../db/client";
import { decisions, findOrder, listOrders, type DecisionRow, type OrderRow } from "../db/repositories/orders.repo";
import { rosterEntry, technicianMerchants } from "../db/repositories/roster.repo";
import { cityTechnicians } from "../db/repositories/dashboard.repo";
import type { OrderQueue, OrderStatus } from "../domain/order-state";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { orderPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { holdFor, jobOf, rankedCandidates } from "../dispatch/dispatch.service";
import { switchTechnician, type Actor } from "./order-flow.service";
import { cancelOrder } from "./orders.service";
import { orderView } from "./orders.view";

function staffActor(auth: Auth): Actor {
  return { type: isPlatform(auth.roles) ? "operator" : "merchant", id: auth.accountId };
}

/** The order when the caller may manage it: operators any, a merchant_admin its merchant's (404 otherwise). */
export async function managedOrder(env: Env, auth: Auth, id: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), id);
  if (!order) throw notFound("Order");
  if (!isPlatform(auth.roles) && (auth.merchantId === null || order.merchantId !== auth.merchantId)) throw notFound("Order");
  return order;
}

export async function listForStaff(
  env: Env,
  auth: Auth,
  q: {
    status?: OrderStatus;
    serviceId?: string;
    merchantId?: string;
    cell?: string;
    queue?: OrderQueue;
    from?: string;
    to?: string;
    limit: number;
    cursor?: string;
  },
) {
  const merchantId = isPlatform(auth.roles) ? q.merchantId : (auth.merchantId ?? "__none__");
  const rows = await listOrders(
    getDb(env),
    {
      status: q.status,
      serviceId: q.serviceId,
      merchantId,
      cell: q.cell,
      exceptionsOnly: q.queue === "exceptions" || q.queue === "dispatch",
      lateBefore: q.queue === "exceptions" || q.queue === "dispatch" ? Date.now() : undefined,
      afterSales: q.queue === "exceptions" || q.queue === "after_sales",
      from: q.from ? Date.parse(q.from) : undefined,
      to: q.to ? Date.parse(q.to) : undefined,
      beforeId: decodeCursor(q.cursor),
    },
    q.limit + 1,
  );
  const page = toPage(rows, q.limit);
  return { items: await Promise.all(page.items.map((o) => staffView(env, o))), nextCursor: page.nextCursor };
}

/**
 * The staff view of an order with why it waits for staff: its dispatch exception, `late` (start
 * passed, technician not there), or `after_sales` (a complaint, or a refund awaiting approval).
 */
async function staffView(env: Env, order: OrderRow) {
  const v = await orderView(env, order, { viewer: "staff" });
  const afterSales = order.status === "after_sales" || v.refunds.some((r) => r.status === "pending_approval");
  return { ...v, exception: order.exception ?? (isLate(order, Date.now()) ? "late" : afterSales ? "after_sales" : null) };
}

/** Statuses in which an order whose start has passed is late (the technician has not arrived). */
export const LATE_STATUSES = ["assigned", "accepted", "en_route"] as const;

function isLate(order: OrderRow, now: number): boolean {
  return (LATE_STATUSES as readonly string[]).includes(order.status) && order.startAt <= now;
}

export async function getForStaff(env: Env, auth: Auth, id: string) {
  return staffView(env, await managedOrder(env, auth, id));
}

/**
 * Every dispatch decision of the order with its candidates and their score breakdown. A
 * merchant_admin sees only its own technicians: other candidates (another merchant's, the
 * platform's) are left out and counted in `hiddenCandidates`, and a decision that chose one of
 * them names nobody.
 */
export async function dispatchExplanation(env: Env, auth: Auth, id: string) {
  const order = await managedOrder(env, auth, id);
  const db = getDb(env);
  const all = await decisions(db, order.id);
  const rows = isPlatform(auth.roles)
    ? all.map((d) => ({ ...d, hiddenCandidates: 0 }))
    : await ownTechniciansOnly(db, all, auth.merchantId);
  return {
    orderId: order.id,
    mode: order.dispatchMode,
    round: order.dispatchRound,
    technicianId: order.technicianId,
    exception: order.exception,
    decisions: rows.map((d) => ({
      round: d.round,
      mode: d.mode,
      chosenTechnicianId: d.chosenTechnicianId,
      reason: d.reason,
      candidates: d.candidates,
      hiddenCandidates: d.hiddenCandidates,
      at: new Date(d.createdAt).toISOString(),
    })),
  };
}

/** The decisions as a merchant_admin of `merchantId` may see them (see dispatchExplanation). */
async function ownTechniciansOnly(db: Db, rows: DecisionRow[], merchantId: string | null) {
  const idOf = (c: unknown) => String((c as { technicianId?: unknown }).technicianId ?? "");
  const ids = rows.flatMap((d) => [...d.candidates.map(idOf), ...(d.chosenTechnicianId ? [d.chosenTechnicianId] : [])]);
  const merchantOf = await technicianMerchants(db, ids);
  const own = (technicianId: string) => merchantId !== null && merchantOf.get(technicianId) === merchantId;
  return rows.map((d) => {
    const candidates = d.candidates.filter((c) => own(idOf(c)));
    return {
      ...d,
      chosenTechnicianId: d.chosenTechnicianId && own(d.chosenTechnicianId) ? d.chosenTechnicianId : null,
      candidates,
      hiddenCandidates: d.candidates.length - candidates.length,
    };
  });
}

/** 409 INVALID_TRANSITION unless the order may still get a (new) technician. */
function assertAssignable(order: OrderRow): void {
  if (["confirmed", "dispatching", "assigned", "accepted"].includes(order.status)) return;
  throw AppError.of("INVALID_TRANSITION", { status: order.status }, { extra: { status: order.status } });
}

/** Assigns a technician by hand, with the same checks as automatic dispatch (skills, shifts, no clash). */
export async function assign(env: Env, auth: Auth, id: string, technicianId: string) {
  const order = await managedOrder(env, auth, id);
  assertAssignable(order);
  const db = getDb(env);
  const [entry, found] = await Promise.all([rosterEntry(db, technicianId), bookableService(db, order.serviceId)]);
  const mayUse = entry && (isPlatform(auth.roles) || entry.profile.merchantId === auth.merchantId);
  if (!entry || !mayUse) throw notFound("Technician");
  const skills = found?.service.requiredSkills ?? [];
  if (entry.profile.status !== "approved" || !skills.every((s) => entry.profile.skills.includes(s))) {
    throw AppError.of("TECHNICIAN_NOT_QUALIFIED");
  }
  if (order.technicianId === technicianId && order.status !== "dispatching") return orderView(env, order, { viewer: "staff" });
  const round = order.dispatchRound + 1;
  const reservation = await holdFor(env, technicianId, await jobOf(env, order, skills), round, { entry });
  if (!reservation) throw AppError.of("SLOT_UNAVAILABLE");
  const next = await switchTechnician(env, order, reservation, staffActor(auth), "assigned by staff", "assigned", { dispatchRound: round });
  return orderView(env, next, { viewer: "staff" });
}

export async function cancelByStaff(env: Env, auth: Auth, id: string, reason: string) {
  const order = await managedOrder(env, auth, id);
  return orderView(env, await cancelOrder(env, order, staffActor(auth), reason), { viewer: "staff" });
}

/**
 * The technicians who could take the order now, scored and ranked as automatic dispatch would
 * (skills, shifts and clashes checked in their home cells; whoever holds the order's interval now
 * is not free then). A merchant_admin sees only its own technicians. Nothing is reserved.
 */
export async function candidatesNow(env: Env, auth: Auth, id: string) {
  const order = await managedOrder(env, auth, id);
  assertAssignable(order);
  const db = getDb(env);
  const found = await bookableService(db, order.serviceId);
  // Technicians who declined or missed it stay candidates for staff (marked `tried`, ranked last):
  // after a call, an operator may still give it to one of them. Whoever holds the order's interval
  // now is not free then, so the cells leave them out.
  const job = { ...(await jobOf(env, order, found?.service.requiredSkills ?? [])), exclude: [] };
  const tried = new Set(order.triedTechnicians);
  const ranked = (await rankedCandidates(env, job)).sort((a, b) => Number(tried.has(a.technicianId)) - Number(tried.has(b.technicianId)));
  const scope = isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__");
  const roster = new Map((await cityTechnicians(db, order.cityId, scope)).map((t) => [t.id, t]));
  const items = ranked
    .filter((c) => roster.has(c.technicianId))
    .map((c) => ({
      ...c,
      name: roster.get(c.technicianId)!.name,
      merchantId: roster.get(c.technicianId)!.merchantId,
      tried: tried.has(c.technicianId),
    }));
  return { orderId: order.id, items };
}

/**
 * The order's address and contact in clear, for an operator or the order's merchant. Every reveal
 * is written to the audit log with the caller and the reason given.
 */
export async function revealContact(env: Env, auth: Auth, id: string, reason: string) {
  const order = await managedOrder(env, auth, id);
  const pii = await Pii.fromEnv(env);
  const address = JSON.parse(await pii.decrypt("order_address", order.addressEnc)) as {
    label: string;
    text: string;
    contactName: string;
    contactPhone: string;
  };
  await appendAudit(getDb(env), {
    actorId: auth.accountId,
    action: "order.contact.reveal",
    targetType: "order",
    targetId: order.id,
    data: { reason, merchantId: order.merchantId, role: isPlatform(auth.roles) ? "operator" : "merchant_admin" },
  });
  return {
    orderId: order.id,
    label: address.label,
    text: address.text,
    contactName: address.contactName,
    contactPhone: address.contactPhone,
    location: await orderPoint(env, order),
  };
}
