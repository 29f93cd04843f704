/**
 * Re-order from history in one call: the same service, units and extras at the same (or another of
 * the customer's) address, at a new start, quoted afresh (today's prices, optionally the best
 * coupon) and booked like `POST /v1/orders` under the caller's Idempotency-Key.
 */
import { getDb } from "../db/client";
import { findOwnAddress } from "../db/repositories/addresses.repo";
import { findOrder } from "../db/repositories/orders.repo";
import { notFound } from "../errors";
import { exactPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { placeOrderOnce } from "./booking.service";
import type { Outcome } from "./idempotency.service";
import { createQuote } from "./quotes.service";

export interface ReorderInput {
  start: string;
  addressId?: string;
  paymentPlan?: "full" | "deposit" | "after_service";
  bestCoupon?: boolean;
}

/** Books the job of the customer's order `orderId` again at `input.start` (404 for another's order or address). */
export async function reorder(
  env: Env,
  customerId: string,
  orderId: string,
  key: string,
  input: ReorderInput,
  defer?: Parameters<typeof placeOrderOnce>[4],
): Promise<Outcome> {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  const addressId = input.addressId ?? order.addressId;
  const address = await findOwnAddress(db, customerId, addressId);
  if (!address) throw notFound("Address");
  const point = await exactPoint(await Pii.fromEnv(env), "addresses", address);
  const quote = await createQuote(env, customerId, {
    serviceId: order.serviceId,
    lat: point.lat,
    lng: point.lng,
    start: input.start,
    units: order.units,
    extras: order.extras,
    bestCoupon: input.bestCoupon,
  });
  return placeOrderOnce(env, customerId, key, { quoteId: quote.id, addressId, start: input.start, paymentPlan: input.paymentPlan }, defer, {
    reorder: orderId,
    ...input,
  });
}
