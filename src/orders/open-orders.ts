/**
 * Slot hoarding: a customer may hold at most MAX_OPEN_UNPAID_HOLDS intervals waiting for payment
 * and MAX_UNPAID_AFTER_SERVICE_ORDERS pay-after-service orders not yet paid. The cap is a guard in
 * the order's own write (no extra round trip, atomic under parallel bookings); only a refused
 * write reads the counts, to say which cap it hit.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { fewerOpenOrders, openOrderCount, type OpenOrderKind } from "../db/repositories/booking.repo";
import type { Guard } from "../db/repositories/statements";
import { AppError } from "../errors";

type Plan = "full" | "deposit" | "after_service";

function capOf(env: Env, plan: Plan): { kind: OpenOrderKind; max: number } {
  const c = config(env);
  return plan === "after_service"
    ? { kind: "after_service", max: c.MAX_UNPAID_AFTER_SERVICE_ORDERS }
    : { kind: "hold", max: c.MAX_OPEN_UNPAID_HOLDS };
}

/** The guard of a new order of `plan`: true while the customer is below the cap of that kind. */
export function withinOpenOrderCap(env: Env, customerId: string, plan: Plan, now: number): Guard {
  const { kind, max } = capOf(env, plan);
  return fewerOpenOrders(customerId, kind, max, now);
}

/** After a refused order write: throws the 409 of the cap when the customer is at it, else returns. */
export async function refuseOverOpenOrderCap(env: Env, customerId: string, plan: Plan, now: number): Promise<void> {
  const { kind, max } = capOf(env, plan);
  if ((await openOrderCount(getDb(env), customerId, kind, now)) < max) return;
  throw AppError.of(kind === "hold" ? "TOO_MANY_UNPAID_HOLDS" : "TOO_MANY_UNPAID_ORDERS", { max });
}
