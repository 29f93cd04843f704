/**
 * Changes a technician asks for during a visit that the customer must approve: an extra charge
 * (new lines on the order) and a new start time (a reschedule with the same technician).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { findOrder, updateOrder, type OrderRow } from "../db/repositories/orders.repo";
import {
  decideChange,
  findChange,
  insertChangeGuarded,
  listChanges,
  pendingChangeOf,
  type ChangeKind,
  type ChangeRow,
  type ChangeStatus,
} from "../db/repositories/visit.repo";
import type { OrderStatus } from "../domain/order-state";
import { toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, notFound, invalid } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import type { Localized } from "../lib/locale";
import { concurrentChange } from "../orders/order-flow.service";
import { ownOrder, rescheduleOrder } from "../orders/orders.service";
import { orderView } from "../orders/orders.view";
import { invalidState, orderFor, technicianOrder } from "./access";

/** While the order is in these statuses its technician may ask for (and the customer approve) a change of the kind. */
const CHANGE_STATUSES: Record<ChangeKind, readonly OrderStatus[]> = {
  extra_charge: ["arrived", "in_service"],
  time_change: ["assigned", "accepted"],
};

const WHAT: Record<ChangeKind, Localized> = {
  extra_charge: { en: "an extra charge", zh: "申请或确认加价" },
  time_change: { en: "a change of time", zh: "申请或确认改时间" },
};

interface ExtraChargePayload {
  items: { label: string; amount: number }[];
  amount: number;
  reason: string;
  decisionReason?: string | null;
}

interface TimeChangePayload {
  start: number;
  end: number;
  previousStart: number;
  reason: string;
  decisionReason?: string | null;
}

async function timeZoneOf(env: Env, order: OrderRow): Promise<string> {
  return (await cityOfCell(getDb(env), order.cell))?.timeZone ?? "UTC";
}

function changeView(change: ChangeRow, order: OrderRow, tz: string) {
  const money = (amount: number) => ({ amount, currency: order.currency });
  const base = {
    id: change.id,
    orderId: change.orderId,
    kind: change.kind,
    status: change.status,
    requestedBy: { type: "technician" as const, id: change.requestedBy },
    reason: String(change.payload.reason ?? ""),
    decisionReason: (change.payload.decisionReason as string | null | undefined) ?? null,
    decidedAt: change.decidedAt === null ? null : new Date(change.decidedAt).toISOString(),
    createdAt: new Date(change.createdAt).toISOString(),
  };
  if (change.kind === "extra_charge") {
    const p = change.payload as unknown as ExtraChargePayload;
    return { ...base, items: p.items.map((i) => ({ label: i.label, amount: money(i.amount) })), amount: money(p.amount) };
  }
  const p = change.payload as unknown as TimeChangePayload;
  return { ...base, start: toZonedIso(p.start, tz), end: toZonedIso(p.end, tz), previousStart: toZonedIso(p.previousStart, tz) };
}

export type ChangeView = ReturnType<typeof changeView>;

function changeMessage(order: OrderRow, change: ChangeRow, status: ChangeStatus) {
  return {
    id: newId("msg"),
    topic: "order.change" as const,
    payload: {
      orderId: order.id,
      customerId: order.customerId,
      technicianId: change.requestedBy,
      changeId: change.id,
      kind: change.kind,
      status,
    },
  };
}

function changePending(): AppError {
  return AppError.of("CHANGE_PENDING");
}

function notPending(change: ChangeRow): AppError {
  return AppError.of("CHANGE_NOT_PENDING", { status: change.status }, { extra: { status: change.status } });
}

/** Writes a new pending change, or explains why it could not be written. */
async function propose(env: Env, order: OrderRow, change: ChangeRow): Promise<ChangeView> {
  const db = getDb(env);
  const written = await insertChangeGuarded(
    db,
    change,
    { statuses: CHANGE_STATUSES[change.kind] },
    changeMessage(order, change, "pending"),
  );
  if (!written) {
    const current = await findOrder(db, order.id);
    if (current && current.technicianId === change.requestedBy && CHANGE_STATUSES[change.kind].includes(current.status)) {
      throw changePending();
    }
    throw current ? invalidState(current, WHAT[change.kind]) : notFound("Order");
  }
  return changeView(change, order, await timeZoneOf(env, order));
}

/**
 * The technician asks the customer to approve extra charges (while arrived or in service). One
 * extra charge may wait at a time (409 CHANGE_PENDING); completing waits until it is decided.
 */
export async function requestExtraCharge(
  env: Env,
  technicianId: string,
  orderId: string,
  input: { items: { label: string; amount: number }[]; reason: string },
): Promise<ChangeView> {
  const order = await technicianOrder(env, technicianId, orderId);
  if (!CHANGE_STATUSES.extra_charge.includes(order.status)) throw invalidState(order, WHAT.extra_charge);
  const now = Date.now();
  const payload: ExtraChargePayload = {
    items: input.items,
    amount: input.items.reduce((sum, i) => sum + i.amount, 0),
    reason: input.reason,
  };
  return propose(env, order, {
    id: newId("chg", now),
    orderId,
    kind: "extra_charge",
    requestedBy: technicianId,
    payload: { ...payload },
    status: "pending",
    decidedAt: null,
    createdAt: now,
  });
}

/**
 * The technician asks the customer to move the visit to another start (while assigned or accepted,
 * within the service's lead time and horizon). Nothing moves until the customer approves.
 */
export async function requestTimeChange(
  env: Env,
  technicianId: string,
  orderId: string,
  input: { start: string; reason: string },
): Promise<ChangeView> {
  const order = await technicianOrder(env, technicianId, orderId);
  if (!CHANGE_STATUSES.time_change.includes(order.status)) throw invalidState(order, WHAT.time_change);
  const start = Date.parse(input.start);
  const now = Date.now();
  if (start === order.startAt) throw invalid([{ path: "body.start", message: "the order already starts then" }]);
  const service = (await bookableService(getDb(env), order.serviceId))?.service;
  if (service && (start < now + service.leadTimeMinutes * 60_000 || start > now + service.horizonDays * 86_400_000)) {
    throw invalid([{ path: "body.start", message: `between ${service.leadTimeMinutes} minutes and ${service.horizonDays} days ahead` }]);
  }
  const payload: TimeChangePayload = {
    start,
    end: start + (order.endAt - order.startAt),
    previousStart: order.startAt,
    reason: input.reason,
  };
  return propose(env, order, {
    id: newId("chg", now),
    orderId,
    kind: "time_change",
    requestedBy: technicianId,
    payload: { ...payload },
    status: "pending",
    decidedAt: null,
    createdAt: now,
  });
}

/** The technician takes back a change the customer has not decided yet. */
export async function withdrawChange(env: Env, technicianId: string, orderId: string, changeId: string): Promise<ChangeView> {
  const db = getDb(env);
  const order = await technicianOrder(env, technicianId, orderId);
  const change = await findChange(db, order.id, changeId);
  if (!change || change.requestedBy !== technicianId) throw notFound({ en: "Change", zh: "变更" });
  if (change.status !== "pending") throw notPending(change);
  const withdrawn = await decideChange(
    db,
    change,
    "pending",
    "withdrawn",
    "withdrawn by the technician",
    changeMessage(order, change, "withdrawn"),
  );
  if (!withdrawn) throw notPending((await findChange(db, order.id, changeId)) ?? change);
  return changeView(withdrawn, order, await timeZoneOf(env, order));
}

/** The order's changes, for its customer, its technician and staff (404 for anyone else). */
export async function orderChanges(env: Env, auth: Auth, orderId: string, q: { limit: number; cursor?: string }) {
  const { order } = await orderFor(env, auth, orderId);
  const rows = await listChanges(getDb(env), order.id, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(rows, q.limit);
  const tz = await timeZoneOf(env, order);
  return { items: page.items.map((c) => changeView(c, order, tz)), nextCursor: page.nextCursor };
}

/**
 * The customer approves or rejects a pending change of their order. Approving an extra charge adds
 * its lines to the order and its total (a versioned write with a timeline entry, status unchanged);
 * approving a time change reschedules atomically in the technician's calendar. A time that is no
 * longer free rejects the change ("slot no longer free") and answers 409 SLOT_UNAVAILABLE; a change
 * the order has moved past is rejected with 409 INVALID_STATE.
 */
export async function decideOwnChange(
  env: Env,
  customerId: string,
  orderId: string,
  changeId: string,
  decision: "approve" | "reject",
  reason?: string,
) {
  const db = getDb(env);
  const order = await ownOrder(env, customerId, orderId);
  const change = await findChange(db, order.id, changeId);
  if (!change) throw notFound({ en: "Change", zh: "变更" });
  if (change.status !== "pending") throw notPending(change);
  const close = async (to: ChangeStatus, why: string) => {
    const closed = await decideChange(db, change, "pending", to, why, changeMessage(order, change, to));
    if (!closed) throw notPending((await findChange(db, order.id, changeId)) ?? change);
    return closed;
  };
  if (change.requestedBy !== order.technicianId) {
    await close("withdrawn", "the technician changed");
    throw AppError.of("CHANGE_OUTDATED");
  }

  let next = order;
  let decided: ChangeRow;
  if (decision === "reject") {
    decided = await close("rejected", reason ?? "rejected by the customer");
  } else if (!CHANGE_STATUSES[change.kind].includes(order.status)) {
    await close("rejected", `the order is ${order.status}`);
    throw invalidState(order, WHAT[change.kind]);
  } else {
    // Claim the change first: of two concurrent approvals only one goes on to change the order.
    const claimed = await decideChange(db, change, "pending", "approved", null, null);
    if (!claimed) throw notPending((await findChange(db, order.id, changeId)) ?? change);
    decided = claimed;
    next =
      change.kind === "extra_charge"
        ? await applyExtraCharge(env, order, claimed, customerId)
        : await applyTimeChange(env, order, claimed, customerId);
  }
  await appendAudit(db, {
    actorId: customerId,
    action: `order.change.${decided.status === "approved" ? "approve" : "reject"}`,
    targetType: "order_change",
    targetId: change.id,
    data: { orderId: order.id, kind: change.kind, reason: decided.payload.decisionReason ?? null },
  });
  return {
    change: changeView(decided, next, await timeZoneOf(env, next)),
    order: await orderView(env, next, { viewer: "customer" }),
  };
}

async function applyExtraCharge(env: Env, order: OrderRow, change: ChangeRow, customerId: string): Promise<OrderRow> {
  const db = getDb(env);
  const p = change.payload as unknown as ExtraChargePayload;
  const updated = await updateOrder(
    db,
    order,
    {
      lines: [...order.lines, ...p.items.map((i) => ({ code: `charge:${change.id}`, label: i.label, amount: i.amount }))],
      total: order.total + p.amount,
    },
    {
      id: newId("evt"),
      actorType: "customer",
      actorId: customerId,
      from: order.status,
      to: order.status,
      reason: "extra charge approved",
      data: { changeId: change.id, amount: p.amount, total: order.total + p.amount },
    },
    [changeMessage(order, change, "approved")],
  );
  if (!updated) {
    // The order changed meanwhile: the change waits again for a decision on the current order.
    await decideChange(db, change, "approved", "pending", null, null);
    throw concurrentChange();
  }
  return updated;
}

async function applyTimeChange(env: Env, order: OrderRow, change: ChangeRow, customerId: string): Promise<OrderRow> {
  const db = getDb(env);
  const p = change.payload as unknown as TimeChangePayload;
  let next: OrderRow;
  try {
    next = await rescheduleOrder(env, order, { type: "customer", id: customerId }, p.start);
  } catch (err) {
    if (err instanceof AppError && err.status === 409 && (err.code === "SLOT_UNAVAILABLE" || err.code === "OUTSIDE_SHIFT")) {
      await decideChange(db, change, "approved", "rejected", "slot no longer free", changeMessage(order, change, "rejected"));
      throw AppError.of("SLOT_UNAVAILABLE");
    }
    if (err instanceof AppError && err.code === "VALIDATION_FAILED") {
      await decideChange(
        db,
        change,
        "approved",
        "rejected",
        "the proposed time is too close now",
        changeMessage(order, change, "rejected"),
      );
      throw AppError.of("CHANGE_EXPIRED");
    }
    await decideChange(db, change, "approved", "pending", null, null);
    throw err;
  }
  return next;
}

/** 409 CHANGE_PENDING while an extra charge of the order waits for the customer. */
export async function assertNoPendingExtraCharge(env: Env, orderId: string): Promise<void> {
  if (await pendingChangeOf(getDb(env), orderId, "extra_charge")) {
    throw AppError.of("CHANGE_PENDING");
  }
}
