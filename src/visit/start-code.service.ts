/**
 * The 4-digit start code: the technician starts the work with the code the customer shows. Wrong
 * codes are counted atomically; START_CODE_MAX_ATTEMPTS of them lock the code (409
 * START_CODE_LOCKED, even for the right code) until the customer issues a new one or staff unlock
 * it (audited, with a reason).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { updateOrder, type OrderRow } from "../db/repositories/orders.repo";
import { countWrongStartCode } from "../db/repositories/visit.repo";
import { LIVE_STATUSES, type OrderStatus } from "../domain/order-state";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { concurrentChange } from "../orders/order-flow.service";
import { managedOrder } from "../orders/admin-orders.service";
import { ownOrder } from "../orders/orders.service";
import { orderView } from "../orders/orders.view";
import { invalidState } from "./access";

/** Wrong codes that lock an order's start code. */
export const START_CODE_MAX_ATTEMPTS = 5;

const WHAT_NEW_CODE = { en: "issue a new start code", zh: "重新生成开工码" };
const WHAT_UNLOCK = { en: "unlock the start code", zh: "解锁开工码" };

/** A fresh random 4-digit code. */
export function newStartCode(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0]! % 10_000).padStart(4, "0");
}

function locked(): AppError {
  return AppError.of("START_CODE_LOCKED", { max: START_CODE_MAX_ATTEMPTS });
}

/**
 * Passes when `code` is the order's start code and it is not locked; otherwise counts the wrong
 * code and throws 400 START_CODE_INVALID (with `attemptsLeft`) or 409 START_CODE_LOCKED.
 */
export async function checkStartCode(env: Env, order: OrderRow, code: string | undefined): Promise<void> {
  if (order.startCodeLockedAt !== null) throw locked();
  const pii = await Pii.fromEnv(env);
  if (code !== undefined && code === (await pii.decrypt("start_code", order.startCodeEnc))) return;
  const counted = await countWrongStartCode(getDb(env), order.id, START_CODE_MAX_ATTEMPTS, Date.now());
  // Not counted: another request locked it (or moved the order) meanwhile.
  if (!counted || counted.lockedAt !== null) throw locked();
  const attemptsLeft = START_CODE_MAX_ATTEMPTS - counted.failures;
  throw AppError.of("START_CODE_INVALID", {}, { errors: [{ path: "body.code", message: "wrong code" }], extra: { attemptsLeft } });
}

/** Statuses in which the start code can still be used, so renewed or unlocked. */
const BEFORE_START: readonly OrderStatus[] = LIVE_STATUSES.filter((s) => s !== "in_service");

/** The write that resets the code's count and lock (and, with `startCodeEnc`, replaces it). */
async function resetStartCode(
  env: Env,
  order: OrderRow,
  actor: { type: "customer" | "operator" | "merchant"; id: string },
  reason: string,
  startCodeEnc?: string,
) {
  const next = await updateOrder(
    getDb(env),
    order,
    { startCodeFailures: 0, startCodeLockedAt: null, ...(startCodeEnc ? { startCodeEnc } : {}) },
    { id: newId("evt"), actorType: actor.type, actorId: actor.id, from: order.status, to: order.status, reason },
  );
  if (!next) throw concurrentChange();
  return next;
}

/** The customer replaces their order's start code (which also unlocks it); the answer shows the new one. */
export async function renewStartCode(env: Env, customerId: string, orderId: string) {
  const order = await ownOrder(env, customerId, orderId);
  if (!BEFORE_START.includes(order.status)) throw invalidState(order, WHAT_NEW_CODE);
  const pii = await Pii.fromEnv(env);
  const next = await resetStartCode(
    env,
    order,
    { type: "customer", id: customerId },
    "new start code issued",
    await pii.encrypt("start_code", newStartCode()),
  );
  return orderView(env, next, { viewer: "customer" });
}

/**
 * Staff unlock a locked start code (the customer's code stays): operators any order, a
 * merchant_admin its merchant's. Written to the audit log with the reason.
 */
export async function unlockStartCode(env: Env, auth: Auth, orderId: string, reason: string) {
  const order = await managedOrder(env, auth, orderId);
  if (!BEFORE_START.includes(order.status)) throw invalidState(order, WHAT_UNLOCK);
  if (order.startCodeLockedAt === null) {
    throw AppError.of("START_CODE_NOT_LOCKED");
  }
  const platform = isPlatform(auth.roles);
  const next = await resetStartCode(
    env,
    order,
    { type: platform ? "operator" : "merchant", id: auth.accountId },
    `start code unlocked by staff: ${reason}`,
  );
  await appendAudit(getDb(env), {
    actorId: auth.accountId,
    action: "order.start_code.unlock",
    targetType: "order",
    targetId: order.id,
    data: { reason, failures: order.startCodeFailures, merchantId: order.merchantId, role: platform ? "operator" : "merchant_admin" },
  });
  return orderView(env, next, { viewer: "staff" });
}
