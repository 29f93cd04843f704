import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonContent } from "../http/openapi";
import { SocketTicketResponse, TicketQuery } from "../http/socket-ticket";

const staff = requireRole("operator", "admin", "merchant_admin");

const CellParam = z.object({
  cell: z
    .string()
    .regex(/^[0-9a-f]{15}$/, "expected an H3 cell index")
    .openapi({ param: { name: "cell", in: "path" }, example: "8531b207fffffff" }),
});

const path = "/v1/admin/cells/{cell}/live";

export const cellLive = createRoute({
  operationId: "openCellLive",
  method: "get",
  path,
  tags: ["Operations"],
  summary: "Follow one cell of the live map: a WebSocket",
  description:
    'Operators, admins and merchant admins (403 otherwise; a merchant admin sees only its own technicians and orders). Upgrade to a WebSocket (Authorization header, or `?ticket=` from `POST /v1/admin/cells/{cell}/live/ticket`). The cell sends a `snapshot` (technicians with position and state, open orders, the cell summary), then `delta` frames, coalesced to at most one every OPS_FRAME_MS. Send `{"type":"ping"}` to get `{"type":"pong"}`. See docs/websockets.md and docs/live-map.md.',
  security: bearer,
  request: { params: CellParam, query: TicketQuery },
  responses: { 101: { description: "Switching to WebSocket" }, ...errorResponses(400, 401, 403, 404, 409) },
});

export const cellLiveTicket = createRoute({
  operationId: "createCellLiveTicket",
  method: "post",
  path: `${path}/ticket`,
  tags: ["Operations"],
  summary: "A single-use ticket to open a cell's live socket from a browser",
  security: bearer,
  middleware: [staff] as const,
  request: { params: CellParam },
  responses: { 201: jsonContent(SocketTicketResponse, "A ticket"), ...authErrors(404) },
});
