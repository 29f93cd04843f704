/**
 * Benchmark-only use cases (the benchmark Worker's routes): the ceilings of the stack, a naive
 * booking path without the cell, and bulk set-up of one cell.
 */
import type { HoldRequest } from "../../durable/cell.types";
import { getDb } from "../../src/db/client";
import { findOwnAddress } from "../../src/db/repositories/addresses.repo";
import { hasOverlappingOrder, NAIVE_MARK, naiveAudit } from "./bench.repo";
import { bookableService } from "../../src/db/repositories/booking.repo";
import { cityOfCell } from "../../src/db/repositories/cities.repo";
import { insertOrder, type OrderRow } from "../../src/db/repositories/orders.repo";
import { cellOf } from "../../src/domain/geo";
import { config } from "../../src/config";
import { AppError, notFound } from "../../src/errors";
import { newId } from "../../src/lib/ids";
import { exactPoint, pointColumns } from "../../src/lib/coordinates";
import { Pii } from "../../src/lib/pii";
import { cellStub } from "../../src/cells/cells.service";
import { orderTermsOf, readQuote } from "../../src/orders/quotes.service";

/** One Worker → CellDO round trip that does nothing in the object. */
export async function pingCell(env: Env, cell: string) {
  const r = await cellStub(env, cell).ping();
  return { cell, at: new Date(r.at).toISOString() };
}

export interface NaiveOrderInput {
  quoteId: string;
  addressId: string;
  start: string;
  technicianId: string;
}

/**
 * Books like `POST /v1/orders` with a chosen technician, but with D1 alone: reads the technician's
 * orders, then inserts the new one. Nothing holds the two together, so concurrent bookings of one
 * slot can both pass the check: this is the race the owner cell exists to prevent.
 */
export async function placeNaiveOrder(env: Env, customerId: string, input: NaiveOrderInput) {
  const quote = await readQuote(env, input.quoteId);
  const db = getDb(env);
  const [address, found] = await Promise.all([findOwnAddress(db, customerId, input.addressId), bookableService(db, quote.serviceId)]);
  if (!address) throw notFound("Address");
  if (!found) throw notFound("Service");
  const pii = await Pii.fromEnv(env);
  const point = await exactPoint(pii, "addresses", address);
  const cell = cellOf(point, config(env).H3_RESOLUTION);
  const city = await cityOfCell(db, cell);
  if (!city) throw AppError.of("SERVICE_NOT_OFFERED");
  if (await hasOverlappingOrder(db, input.technicianId, quote.start, quote.end)) {
    throw AppError.of("SLOT_UNAVAILABLE");
  }
  const now = Date.now();
  const id = newId("ord");
  const row: OrderRow = {
    id,
    customerId,
    serviceId: found.service.id,
    merchantId: found.service.merchantId,
    cityId: city.id,
    cell,
    addressId: address.id,
    addressEnc: await pii.encrypt("order_address", JSON.stringify({ label: address.label })),
    ...(await pointColumns(pii, "orders", id, point)),
    ...orderTermsOf(quote),
    paymentPlan: "after_service",
    status: "confirmed",
    dispatchMode: "chosen",
    technicianId: input.technicianId,
    holdKey: null,
    triedTechnicians: [],
    dispatchRound: 1,
    exception: null,
    holdExpiresAt: null,
    acceptBy: null,
    startCodeEnc: await pii.encrypt("start_code", "0000"),
    notes: NAIVE_MARK,
    cancelReason: null,
    completedAt: null,
    refundCapPercent: null,
    startCodeFailures: 0,
    startCodeLockedAt: null,
    refundDecision: null,
    version: 1,
    lastEventId: newId("evt"),
    createdAt: now,
    updatedAt: now,
  };
  await insertOrder(db, row, [
    {
      event: { id: row.lastEventId, actorType: "customer", actorId: customerId, from: null, to: "confirmed", reason: "naive booking" },
      messages: [],
    },
  ]);
  return {
    id: row.id,
    technicianId: input.technicianId,
    start: new Date(row.startAt).toISOString(),
    end: new Date(row.endAt).toISOString(),
  };
}

/** Orders the naive path wrote and how many pairs of them overlap on one technician. */
export async function naiveOrderAudit(env: Env) {
  return naiveAudit(getDb(env));
}

export interface BulkBooking {
  technicianId: string;
  start: number;
  end: number;
  lat: number;
  lng: number;
}

/** Parallel calls per request when filling a calendar. */
const FILL_PARALLEL = 16;

/**
 * Books many intervals straight into one cell (hold then confirm, outside shifts allowed), for
 * benchmarks that need a full calendar. Clashing items are refused by the cell as usual.
 */
export async function fillCell(env: Env, cell: string, items: BulkBooking[]) {
  const stub = cellStub(env, cell);
  const batch = newId("fill");
  let booked = 0;
  let refused = 0;
  for (let i = 0; i < items.length; i += FILL_PARALLEL) {
    const part = items.slice(i, i + FILL_PARALLEL);
    const results = await Promise.all(
      part.map(async (item, j) => {
        const req: HoldRequest = { ...item, orderId: `${batch}:${i + j}`, ttlMs: 30 * 86_400_000, ignoreShifts: true };
        const held = await stub.hold(req);
        return held.ok && (await stub.confirm(req.orderId)).ok;
      }),
    );
    const ok = results.filter(Boolean).length;
    booked += ok;
    refused += results.length - ok;
  }
  return { cell, booked, refused };
}

/** Every presence row of one cell as the cell sees it, with the cell's clock. */
export async function cellPresence(env: Env, cell: string) {
  const items = await cellStub(env, cell).listPresence();
  return {
    cell,
    now: Date.now(),
    items: items.map((p) => ({ technicianId: p.technicianId, online: p.online, lastSeenAt: p.lastSeenAt })),
  };
}
