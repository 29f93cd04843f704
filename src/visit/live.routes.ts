import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, errorResponses, jsonContent, LimitQuery, page } from "../http/openapi";
import { SocketTicketResponse, TicketQuery } from "../http/socket-ticket";
import { Favourite, OrderParam, TechnicianParam } from "./visit.schemas";

const customer = requireRole("customer");

const trackPath = "/v1/orders/{id}/track";

export const track = createRoute({
  operationId: "openOrderTracking",
  method: "get",
  path: trackPath,
  tags: ["Visit"],
  summary: "Watch my order's technician come: a WebSocket",
  description:
    'Upgrade to a WebSocket, authenticated by the Authorization header or, from a browser, by `?ticket=` from `POST /v1/orders/{id}/track/ticket` (single use, short-lived; access tokens are never accepted in the URL, where logs would keep them). While the order has a technician and is en_route or arrived (else 409 NOT_TRACKABLE) and the technician shares their location (their consent `location_sharing`, else 409 LOCATION_SHARING_OFF; a withdrawal closes open sockets), the technician\'s home cell sends `{"type":"position","technicianId","status":"online"|"offline","lat","lng","heading","etaSeconds","at"}` now and on every position or status change; `etaSeconds` is the travel time to the order\'s address. The server closes the socket (1000 `tracking ended`) once the order leaves those statuses or gets another technician. 401 INVALID_TICKET (expired, altered, for another route) or TICKET_USED.',
  security: bearer,
  request: { params: OrderParam, query: TicketQuery },
  responses: { 101: { description: "Switching to WebSocket" }, ...errorResponses(401, 403, 404, 409) },
});

export const trackTicket = createRoute({
  operationId: "createTrackingTicket",
  method: "post",
  path: `${trackPath}/ticket`,
  tags: ["Visit"],
  summary: "A single-use ticket to open my order's tracking socket from a browser",
  description:
    "Valid SOCKET_TICKET_TTL_SECONDS (30 by default) for one upgrade of `GET /v1/orders/{id}/track?ticket=…` by this account. 404 for someone else's order.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: OrderParam },
  responses: { 201: jsonContent(SocketTicketResponse, "A ticket"), ...authErrors(404) },
});

export const listFavourites = createRoute({
  operationId: "listFavourites",
  method: "get",
  path: "/v1/me/favourites",
  tags: ["Accounts"],
  summary: "My favourite technicians (dispatch prefers them)",
  security: bearer,
  middleware: [customer] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Favourite), "Favourites"), ...authErrors() },
});

export const putFavourite = createRoute({
  operationId: "putFavourite",
  method: "put",
  path: "/v1/me/favourites/{technicianId}",
  tags: ["Accounts"],
  summary: "Make a technician who completed one of my orders a favourite",
  description: "Idempotent. 404 for a technician who never completed an order of mine.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: TechnicianParam },
  responses: { 200: jsonContent(Favourite, "A favourite"), ...authErrors(404, 413, 415) },
});

export const deleteFavourite = createRoute({
  operationId: "deleteFavourite",
  method: "delete",
  path: "/v1/me/favourites/{technicianId}",
  tags: ["Accounts"],
  summary: "Remove a favourite technician",
  security: bearer,
  middleware: [customer] as const,
  request: { params: TechnicianParam },
  responses: { 204: { description: "Removed" }, ...authErrors(404) },
});
