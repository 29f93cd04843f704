/**
 * The customer's side of the visit beyond the order itself: watching the technician come, and
 * keeping favourite technicians (dispatch prefers them). Photos and approvals of changes live in
 * services/visit/.
 */
import { getDb } from "../db/client";
import { findOrder } from "../db/repositories/orders.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { addFavouriteIfServed, listFavourites, removeFavourite, type FavouriteRow } from "../db/repositories/visit.repo";
import { endsTracking, TRACK_STATUSES } from "../domain/order-state";
import { technicianSharesLocation } from "../privacy/consents.service";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { orderPoint } from "../lib/coordinates";
import { decodeCursor, toPage } from "../lib/cursor";
import { issueSocketTicket, refusedTicket, socketCaller, ticketParams } from "../http/socket-ticket";
import { cellProfiles, cellStub } from "../cells/cells.service";
import { forgetFavourites } from "../dispatch/ranking-history";

/** The path a tracking ticket opens. */
const trackRoute = (orderId: string) => `/v1/orders/${orderId}/track`;

/** A single-use ticket for the customer's tracking socket of their own order (404 for anyone else's). */
export async function trackTicket(env: Env, auth: Auth, orderId: string) {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.customerId !== auth.accountId) throw notFound("Order");
  return issueSocketTicket(env, auth, trackRoute(orderId));
}

/**
 * Opens the customer's live view of the order's technician: a WebSocket to the technician's home
 * cell, which sends their position, on/off duty status and ETA to the order's address until the
 * order leaves TRACK_STATUSES or changes hands (`endTracking`). Browsers cannot set headers on a
 * WebSocket, so they come with a single-use ticket (`trackTicket`), which the cell records.
 */
export async function openTracking(
  env: Env,
  request: Request,
  bearer: Auth | undefined,
  orderId: string,
  ticketParam: string | undefined,
): Promise<Response> {
  const { auth, ticket } = await socketCaller(env, bearer, ticketParam, trackRoute(orderId));
  if (!auth.roles.includes("customer")) throw AppError.of("FORBIDDEN");
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.customerId !== auth.accountId) throw notFound("Order");
  if (!order.technicianId || !TRACK_STATUSES.includes(order.status)) {
    throw AppError.of("NOT_TRACKABLE", { status: order.status }, { extra: { status: order.status } });
  }
  // The technician's consent to location sharing decides, whatever the socket (README "Personal data").
  if (!(await technicianSharesLocation(env, order.technicianId))) throw AppError.of("LOCATION_SHARING_OFF");
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw AppError.of("UPGRADE_REQUIRED");
  }
  const entry = await rosterEntry(db, order.technicianId);
  if (!entry) throw notFound("Technician");
  const stub = cellStub(env, entry.homeCell);
  await stub.syncRoster(await cellProfiles(env, [entry]), 0);
  const point = await orderPoint(env, order);
  const query = new URLSearchParams({
    technicianId: entry.profile.id,
    orderId: order.id,
    lat: String(point.lat),
    lng: String(point.lng),
    ...ticketParams(ticket),
  });
  const res = refusedTicket(await stub.fetch(`https://cell/track?${query}`, { headers: { Upgrade: "websocket" } }));
  // The order may have moved on while the socket opened, after its transition closed the others.
  const now = await findOrder(db, orderId);
  if (!now || endsTracking(order.status, order.technicianId, now.status, now.technicianId)) await stub.endTracking(order.id);
  return res;
}

/** Ends every customer's view of the technician for the order (after a transition that ends tracking). */
export async function endTracking(env: Env, technicianId: string, orderId: string, homeCell?: string): Promise<void> {
  const cell = homeCell ?? (await rosterEntry(getDb(env), technicianId))?.homeCell;
  if (cell) await cellStub(env, cell).endTracking(orderId);
}

function favouriteView(row: FavouriteRow) {
  return {
    technician: { id: row.technicianId, name: row.name, rating: row.ratingX100 / 100 },
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** The account's favourite technicians. */
export async function favourites(env: Env, accountId: string, q: { limit: number; cursor?: string }) {
  const rows = await listFavourites(getDb(env), accountId, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(
    rows.map((r) => ({ ...r, id: r.technicianId })),
    q.limit,
  );
  return { items: page.items.map(favouriteView), nextCursor: page.nextCursor };
}

/**
 * Marks a technician as a favourite (idempotent). Only a technician who completed one of the
 * account's orders can be one; any other id is 404, so ids of strangers reveal nothing.
 */
export async function addFavourite(env: Env, accountId: string, technicianId: string) {
  const row = await addFavouriteIfServed(getDb(env), accountId, technicianId);
  if (!row) throw notFound("Technician");
  forgetFavourites(accountId);
  return favouriteView(row);
}

/** Removes a favourite; 404 when the technician is not one. */
export async function deleteFavourite(env: Env, accountId: string, technicianId: string): Promise<void> {
  if (!(await removeFavourite(getDb(env), accountId, technicianId))) throw notFound("Technician");
  forgetFavourites(accountId);
}
