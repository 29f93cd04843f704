import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { SocketTicketResponse, TicketQuery } from "../http/socket-ticket";

export const Presence = z
  .object({
    technicianId: z.string(),
    online: z.boolean(),
    position: z.object({ lat: z.number(), lng: z.number(), accuracy: z.number().nullable(), heading: z.number().nullable() }).nullable(),
    battery: z.number().nullable(),
    lastSeenAt: z.string().nullable(),
  })
  .openapi("Presence");

export const PositionInput = z
  .object({
    lat: z.number().min(-90).max(90),
    lng: z.number().min(-180).max(180),
    accuracy: z.number().min(0).max(100_000).optional().openapi({ description: "metres" }),
    heading: z.number().min(0).max(360).optional().openapi({ description: "degrees from north" }),
    battery: z.number().min(0).max(1).optional().openapi({ description: "0–1" }),
  })
  .strict()
  .openapi("PositionInput");

const technician = requireRole("technician");

export const status = createRoute({
  operationId: "setTechnicianStatus",
  method: "post",
  path: "/v1/technician/status",
  tags: ["Technicians"],
  summary: "Go on or off duty",
  security: bearer,
  middleware: [technician] as const,
  request: { body: jsonBody(z.object({ online: z.boolean() }).strict()) },
  responses: { 200: jsonContent(Presence, "Presence"), ...authErrors(404, 409, 413, 415) },
});

export const presence = createRoute({
  operationId: "reportPresence",
  method: "post",
  path: "/v1/technician/presence",
  tags: ["Technicians"],
  summary: "Report my position (a heartbeat)",
  description: `Kept only while on duty (409 OFF_DUTY otherwise); without a heartbeat for PRESENCE_TIMEOUT_SECONDS the technician turns offline. Position history is sampled and deleted after POSITION_RETENTION_HOURS.`,
  security: bearer,
  middleware: [technician] as const,
  request: { body: jsonBody(PositionInput) },
  responses: { 200: jsonContent(Presence, "Presence"), ...authErrors(404, 409, 413, 415) },
});

export const stream = createRoute({
  operationId: "openTechnicianStream",
  method: "get",
  path: "/v1/technician/stream",
  tags: ["Technicians"],
  summary: "My live WebSocket to my home cell",
  description:
    'Upgrade to a WebSocket, authenticated by the Authorization header or, from a browser, by `?ticket=` from `POST /v1/technician/stream/ticket` (single use, short-lived; access tokens are never accepted in the URL). Send `{"type":"position","lat":…,"lng":…}` as heartbeats, `{"type":"ping"}` to keep alive; the cell answers `ack`/`pong`/`error`. 401 INVALID_TICKET (expired, altered, for another route) or TICKET_USED.',
  security: bearer,
  request: { query: TicketQuery },
  responses: { 101: { description: "Switching to WebSocket" }, ...errorResponses(401, 403, 404, 409) },
});

export const streamTicket = createRoute({
  operationId: "createTechnicianStreamTicket",
  method: "post",
  path: "/v1/technician/stream/ticket",
  tags: ["Technicians"],
  summary: "A single-use ticket to open my live WebSocket from a browser or mini program",
  description: "Valid SOCKET_TICKET_TTL_SECONDS (30 by default) for one upgrade of `GET /v1/technician/stream?ticket=…` by this account.",
  security: bearer,
  middleware: [technician] as const,
  responses: { 201: jsonContent(SocketTicketResponse, "A ticket"), ...authErrors(404) },
});
