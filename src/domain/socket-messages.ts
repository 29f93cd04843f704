/**
 * The WebSocket protocols, as schemas: what the customer's tracking socket (`GET /v1/orders/{id}/track`)
 * and the technician's stream (`GET /v1/technician/stream`) carry. The cell (durable/cell.do.ts) builds
 * its messages against these types, docs/websockets.md is rendered from them (`npm run docs:websockets`),
 * and test/visit/socket-protocols.test.ts parses what real sockets receive with them.
 */
import { z } from "zod";
import { OpsClientMessage, OpsServerMessage } from "./ops-messages";

const coordinate = (what: string, max: number) =>
  z.number().min(-max).max(max).describe(`${what}, decimal degrees (WGS-84, see docs/coordinates.md)`);

/** Server → customer: where the order's technician is, now and on every position or status change. */
export const TrackPositionMessage = z
  .object({
    type: z.literal("position"),
    technicianId: z.string().describe("The order's technician"),
    status: z.enum(["online", "offline"]).describe("On duty and reporting (online), or not"),
    lat: coordinate("Last reported latitude", 90).nullable().describe("Last reported latitude (null before the first report)"),
    lng: coordinate("Last reported longitude", 180).nullable().describe("Last reported longitude (null before the first report)"),
    heading: z.number().nullable().describe("Degrees clockwise from north, as the technician's device reported it (null: not reported)"),
    etaSeconds: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe(
        "Travel time to the order's address at TRAVEL_SPEED_KMH over TRAVEL_ROAD_FACTOR × the straight distance (null: no position yet)",
      ),
    at: z.number().int().nullable().describe("When the technician last reported, epoch milliseconds (null: never)"),
  })
  .strict();
export type TrackPositionMessage = z.infer<typeof TrackPositionMessage>;

/** Everything the tracking socket sends (it reads nothing from the customer). */
export const TrackServerMessage = TrackPositionMessage;
export type TrackServerMessage = z.infer<typeof TrackServerMessage>;

/** Technician → server: a position report (what `POST /v1/technician/presence` takes), or a keep-alive. */
export const StreamClientMessage = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("position"),
      lat: coordinate("Latitude", 90),
      lng: coordinate("Longitude", 180),
      accuracy: z.number().optional().describe("Metres, as the device reports it"),
      heading: z.number().optional().describe("Degrees clockwise from north"),
      battery: z.number().optional().describe("Battery level, as the device reports it"),
    })
    .describe("Other fields are ignored; a non-numeric optional field is treated as absent."),
  z.object({ type: z.literal("ping") }).describe("Answered with pong; keeps idle proxies from closing the socket."),
]);
export type StreamClientMessage = z.infer<typeof StreamClientMessage>;

/** Why the stream refused a message. */
export const StreamErrorCode = z.enum([
  "MALFORMED_JSON",
  "VALIDATION_FAILED",
  "OFF_DUTY",
  "UNKNOWN_TECHNICIAN",
  "TECHNICIAN_MOVING",
  "TECHNICIAN_MOVED",
]);

/** Server → technician: one answer to every message the technician sends. */
export const StreamServerMessage = z.discriminatedUnion("type", [
  z
    .object({ type: z.literal("ack"), at: z.number().int().nullable().describe("The position's time as recorded, epoch milliseconds") })
    .strict()
    .describe("The position was recorded (and sent to the customers tracking this technician)."),
  z
    .object({ type: z.literal("pong"), at: z.number().int().describe("Server time, epoch milliseconds") })
    .strict()
    .describe("The answer to ping."),
  z
    .object({
      type: z.literal("error"),
      code: StreamErrorCode.describe(
        "MALFORMED_JSON: not JSON; VALIDATION_FAILED: not a ping or a position with numeric lat (±90) and lng (±180); OFF_DUTY: go on duty first (POST /v1/technician/status); UNKNOWN_TECHNICIAN / TECHNICIAN_MOVING / TECHNICIAN_MOVED: the technician's home cell is changing, reconnect (a new ticket finds the new cell)",
      ),
    })
    .strict()
    .describe("The message was refused; nothing was recorded. The socket stays open."),
]);
export type StreamServerMessage = z.infer<typeof StreamServerMessage>;

/** Client → server on a conversation's socket: only a keep-alive (anything else is ignored). */
export const ChatClientMessage = z
  .object({ type: z.literal("ping") })
  .strict()
  .describe("Answered with pong.");
export type ChatClientMessage = z.infer<typeof ChatClientMessage>;

/** Server → participant: a message just stored in the conversation (as `GET /v1/conversations/{id}/messages` lists it). */
export const ChatServerMessage = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("message"),
      message: z
        .object({
          id: z.string(),
          conversationId: z.string(),
          senderId: z.string().describe("The sender's account"),
          kind: z.enum(["text", "image", "order"]),
          text: z.string().nullable().describe("As stored: phone numbers, WeChat ids and payment requests masked"),
          imageUrl: z.string().nullable().describe("GET it with the bearer token (an image message)"),
          orderId: z.string().nullable().describe("An order card: the order it shows"),
          masked: z.boolean(),
          erased: z.boolean().describe("Emptied by an account deletion (never true for a new message)"),
          createdAt: z.string().describe("ISO 8601"),
        })
        .strict(),
    })
    .strict()
    .describe("A new message of the conversation."),
  z
    .object({ type: z.literal("pong"), at: z.number().int().describe("Server time, epoch milliseconds") })
    .strict()
    .describe("The answer to ping."),
]);
export type ChatServerMessage = z.infer<typeof ChatServerMessage>;

/**
 * Server → staff on the support inbox's socket: something changed in a support conversation. It
 * never carries a message's text (staff read a conversation they do not hold only with a stated
 * reason); the dashboard reloads the inbox (and a thread it holds) over HTTP.
 */
export const InboxServerMessage = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("inbox"),
      event: z
        .enum(["opened", "message", "claimed", "handoff"])
        .describe("A support conversation was opened, got a message, was claimed, or was handed to another staff member"),
      conversationId: z.string(),
      assigneeId: z.string().nullable().describe("Who holds it now (null: unassigned)"),
      at: z.number().int().describe("Server time, epoch milliseconds"),
    })
    .strict()
    .describe("A change in the support inbox."),
  z
    .object({ type: z.literal("pong"), at: z.number().int().describe("Server time, epoch milliseconds") })
    .strict()
    .describe("The answer to ping."),
]);
export type InboxServerMessage = z.infer<typeof InboxServerMessage>;

/** The documented protocols, in the order docs/websockets.md lists them. */
export const SOCKET_PROTOCOLS = [
  {
    name: "Order tracking (customer)",
    path: "/v1/orders/{id}/track",
    ticket: "POST /v1/orders/{id}/track/ticket",
    about:
      "Open while the order has a technician and is en_route or arrived (else 409 NOT_TRACKABLE). The first message arrives at once; then one on every position report or status change of the technician. The server closes the socket with 1000 `tracking ended` once the order leaves those statuses or gets another technician.",
    client: null,
    server: TrackServerMessage,
  },
  {
    name: "Technician stream",
    path: "/v1/technician/stream",
    ticket: "POST /v1/technician/stream/ticket",
    about:
      "A technician's own socket to report positions without an HTTP request each time (the same effect as POST /v1/technician/presence). Every message gets exactly one answer. Nothing is sent unasked.",
    client: StreamClientMessage,
    server: StreamServerMessage,
  },
  {
    name: "Conversation (chat participants)",
    path: "/v1/conversations/{id}/live",
    ticket: "POST /v1/conversations/{id}/live/ticket",
    about:
      "A participant's socket on a conversation (an order's customer or technician; for support conversations the user and the staff member holding it). Hibernatable, held by the conversation's cell: an order's conversation by the order's cell, a support conversation by the Durable Object `chat:<conversationId>`. The Worker stores every message in D1 first, then the cell sends it to every socket on the conversation; participants with no socket get a `chat.message` notice (in-app, push, SMS) instead, at most one per conversation every CHAT_OFFLINE_NOTICE_MINUTES. Send `{\"type\":\"ping\"}` to keep it alive.",
    client: ChatClientMessage,
    server: ChatServerMessage,
  },
  {
    name: "Support inbox (staff)",
    path: "/v1/admin/conversations/live",
    ticket: "POST /v1/admin/conversations/live/ticket",
    about:
      'Operators\' and admins\' socket on the support inbox (the dashboard keeps one open and polls only while it is closed). Held by the Durable Object `chat:support-inbox`. Every support conversation opened, every message stored, every claim and hand-off is pushed as an `inbox` event without the message\'s text. A staff member with this socket open counts as online for the conversations they hold (no push/SMS notice). Send `{"type":"ping"}` to keep it alive.',
    client: ChatClientMessage,
    server: InboxServerMessage,
  },
  {
    name: "Live map cell (operators)",
    path: "/v1/admin/cells/{cell}/live",
    ticket: "POST /v1/admin/cells/{cell}/live/ticket",
    about:
      "Operators', admins' and merchant admins' socket on one cell of the live map (the dashboard opens one per cell in view and polls only while none is open). Held by the cell's Durable Object, hibernatable. The first frame is a `snapshot` of the cell: its technicians with position and state, its open orders (their ~1 km area only), and the `cell` summary. Then `delta` frames, coalesced to at most one every OPS_FRAME_MS per socket: technicians whose presence changed (heartbeat, on/off duty, timed out, visit started or ended), orders that entered or changed in the open set, orders that left it, and the summary when it changed. A merchant admin's socket carries only its merchant's technicians and orders, the summary counted over those. Send `{\"type\":\"ping\"}` to keep it alive.",
    client: OpsClientMessage,
    server: OpsServerMessage,
  },
] as const;
