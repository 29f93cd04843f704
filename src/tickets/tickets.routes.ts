import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, LocalizedSchema, page } from "../http/openapi";
import { TICKET_CATEGORIES, TICKET_STATUSES } from "../domain/tickets";
import { ChatMessage } from "../conversations";
import { photoRouteDefs } from "../visit";

const staff = requireRole("operator", "admin", "merchant_admin");
const TicketParam = IdParam("id", "tkt_01JABCDEF");
const OrderParam = IdParam("id", "ord_01JABCDEF");
const EntryParam = TicketParam.extend({
  entryId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "entryId", in: "path" } }),
});
const IdempotencyHeader = z.object({
  "idempotency-key": z.string().optional().openapi({ description: "Required. A bare or quoted string, 1–255 visible characters" }),
});

const Category = z.enum(TICKET_CATEGORIES).openapi({ description: "quality, damage, lateness, attitude, overcharge or safety" });
const Status = z.enum(TICKET_STATUSES);

const Entry = z
  .object({
    id: z.string(),
    authorType: z.enum(["customer", "technician", "staff", "system"]),
    kind: z.enum(["statement", "appeal", "note", "evidence", "event"]),
    body: z.string().nullable(),
    photo: z.object({ contentType: z.string().nullable(), size: z.number().nullable(), url: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .openapi("TicketEntry");

const Resolution = z
  .object({
    kind: z.enum(["resolved", "rejected"]),
    reason: z.string(),
    rework: z.object({ orderId: z.string(), technicianId: z.string().nullable(), start: z.number() }).optional(),
    refund: z.object({ amount: z.number().int(), refundIds: z.array(z.string()) }).optional(),
    coupon: z.object({ couponId: z.string(), code: z.string(), amount: z.number().int(), endsAt: z.number() }).optional(),
    penalty: z.object({ amount: z.number().int(), points: z.number().int(), technicianId: z.string() }).optional(),
  })
  .openapi("TicketResolution");

export const Ticket = z
  .object({
    id: z.string(),
    orderId: z.string(),
    category: Category,
    categoryText: LocalizedSchema,
    status: Status,
    description: z.string(),
    openedByRole: z.enum(["customer", "technician"]),
    technicianId: z.string().nullable(),
    merchantId: z.string().nullable(),
    cityId: z.string(),
    conversationId: z.string().nullable().openapi({ description: "The support conversation about it, when there is one" }),
    sla: z.object({
      firstResponseDueAt: z.string(),
      resolutionDueAt: z.string(),
      firstRespondedAt: z.string().nullable(),
      overdue: z.boolean(),
      firstResponseOverdue: z.boolean(),
      resolutionOverdue: z.boolean(),
    }),
    decidedAt: z.string().nullable(),
    resolution: Resolution.nullable(),
    reworkOrderId: z.string().nullable(),
    reopenCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Ticket");

const Side = z.enum(["customer", "technician", "staff"]);
const TicketMessage = ChatMessage.extend({
  senderSide: Side.nullable().openapi({ description: "Who wrote it, as the ticket knows them" }),
}).openapi("TicketMessage");

const TicketConversation = z
  .object({
    id: z.string(),
    assigneeId: z.string().nullable().openapi({ description: "The staff member holding the conversation" }),
    participants: z.array(z.object({ accountId: z.string(), side: Side })),
    messages: z
      .array(TicketMessage)
      .openapi({ description: "The latest 100, oldest first (the rest: GET /v1/conversations/{id}/messages)" }),
    more: z.boolean().openapi({ description: "Older messages exist" }),
  })
  .openapi("TicketConversation");

const TicketDetail = Ticket.extend({
  viewer: Side,
  entries: z.array(Entry),
  creditFact: z.object({ points: z.number().int(), scoreAfter: z.number().int() }).nullable(),
  conversation: TicketConversation.nullable().openapi({
    description:
      "The support conversation about the ticket: its customer and staff see it; its technician once they took part (an appeal or a message)",
  }),
}).openapi("TicketDetail");

const Text = z.string().trim().min(1).max(2000);

export const open = createRoute({
  operationId: "openTicket",
  method: "post",
  path: "/v1/orders/{id}/tickets",
  tags: ["Tickets"],
  summary: "Open an after-sales ticket on an order (its customer; its technician for safety)",
  description:
    "The order's customer opens a ticket of any category once the order is served (completed, after_sales or refunded — paid or still unpaid after the service) within COMPLAINT_WINDOW_DAYS of completion, and a `safety` ticket while the visit is under way (en_route, arrived, in_service). The order's technician opens `safety` tickets only, in the same statuses. Anything else: 409 TICKET_NOT_OPENABLE, nothing written. One open (open or in_review) ticket per order and category: 409 TICKET_ALREADY_OPEN. The SLA targets come from TICKET_SLA. Every ticket has a support conversation (`conversationId`) with the customer as its requester: the one named by `conversationId` (the customer's own, about no other ticket: 404 for anyone else's, 400 when it is about another ticket or order), else a new one; a technician who opens a safety ticket takes part in it at once. The old `POST /v1/orders/{id}/complaints` (a refund request) is unchanged; a ticket's resolution may refund through the same refund flow.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: OrderParam,
    body: jsonBody(
      z
        .object({
          category: Category,
          description: Text,
          conversationId: z.string().min(1).max(64).optional().openapi({
            description:
              "The customer's own support conversation this ticket comes from (about no other ticket or order); without it a new one is opened",
          }),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Ticket, "Opened"), ...authErrors(404, 409) },
});

export const ofOrder = createRoute({
  operationId: "listOrderTickets",
  method: "get",
  path: "/v1/orders/{id}/tickets",
  tags: ["Tickets"],
  summary: "The tickets of an order (its customer, its technician, staff)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(z.object({ items: z.array(Ticket) }), "Tickets, oldest first"), ...authErrors(404) },
});

export const get = createRoute({
  operationId: "getTicket",
  method: "get",
  path: "/v1/tickets/{id}",
  tags: ["Tickets"],
  summary: "One ticket with its log (staff notes only for staff)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: TicketParam },
  responses: { 200: jsonContent(TicketDetail, "The ticket"), ...authErrors(404) },
});

export const addEntry = createRoute({
  operationId: "addTicketEntry",
  method: "post",
  path: "/v1/tickets/{id}/entries",
  tags: ["Tickets"],
  summary: "Add to a ticket's log: the customer's statement, the technician's appeal, a staff note or reply",
  description:
    "The customer's entry is a `statement`, the technician's an `appeal` (their side of the case); staff choose `kind`: `note` (staff only, any time) or `statement` (a reply the parties see; the first one is the ticket's first response). Parties write while the ticket is open or in review (409 otherwise). The technician's appeal also makes them a participant of the ticket's support conversation, where they can then state their side in chat (`POST /v1/tickets/{id}/messages`).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: TicketParam,
    body: jsonBody(z.object({ body: Text, kind: z.enum(["note", "statement"]).optional() }).strict()),
  },
  responses: { 201: jsonContent(Entry, "Added"), ...authErrors(404, 409) },
});

export const addEvidence = createRoute({
  operationId: "addTicketEvidence",
  method: "post",
  path: "/v1/tickets/{id}/photos",
  tags: ["Tickets"],
  summary: "Add an evidence photo to a ticket (raw image body)",
  description:
    "Same checks as visit photos: `Content-Type` image/jpeg, image/png or image/webp (else 415), at most 5 MB (413 PHOTO_TOO_LARGE), bytes of that format (400 PHOTO_INVALID); at most 10 per ticket (409 PHOTO_LIMIT); while the ticket is open or in review. Stored in R2 at `tickets/<ticketId>/<entryId>`.",
  security: bearer,
  middleware: [requireAuth, photoRouteDefs.photoBodyLimit] as const,
  request: { params: TicketParam, body: { required: true, content: photoRouteDefs.imageContent } },
  responses: { 201: jsonContent(Entry, "Stored"), ...authErrors(404, 409, 413, 415) },
});

export const evidence = createRoute({
  operationId: "getTicketEvidence",
  method: "get",
  path: "/v1/tickets/{id}/photos/{entryId}",
  tags: ["Tickets"],
  summary: "One evidence photo of a ticket: the image bytes",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: EntryParam },
  responses: {
    200: { description: "The image", content: photoRouteDefs.imageContent },
    ...authErrors(404),
  },
});

export const postMessage = createRoute({
  operationId: "postTicketMessage",
  method: "post",
  path: "/v1/tickets/{id}/messages",
  tags: ["Tickets"],
  summary: "Write in the ticket's support conversation (its customer, its technician, staff)",
  description:
    "A chat message in the conversation about the ticket (masked and flagged like any chat message, pushed live, noticed to whoever is offline). The technician joins the conversation with their first message or appeal and reads it from then on. Staff take the conversation when nobody holds it (audited like a claim; 409 NOT_ASSIGNED when another staff member holds it), and their first message is the ticket's first response. Any status: the conversation stays open after the decision.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: TicketParam, body: jsonBody(z.object({ text: Text }).strict()) },
  responses: { 201: jsonContent(TicketMessage, "Sent"), ...authErrors(404, 409, 413, 415) },
});

export const reopen = createRoute({
  operationId: "reopenTicket",
  method: "post",
  path: "/v1/tickets/{id}/reopen",
  tags: ["Tickets"],
  summary: "Reopen my decided ticket (within TICKET_REOPEN_DAYS of the decision, at most twice)",
  description:
    "The ticket's customer only (404 for anyone else). 409 TICKET_NOT_REOPENABLE when it is not decided, the window passed or it was reopened twice; fresh SLA targets. What the earlier decision did stays done.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: TicketParam, body: jsonBody(z.object({ reason: Text }).strict()) },
  responses: { 200: jsonContent(Ticket, "Open again"), ...authErrors(404, 409) },
});

export const list = createRoute({
  operationId: "listTickets",
  method: "get",
  path: "/v1/admin/tickets",
  tags: ["Tickets"],
  summary: "The ticket queue (staff; a merchant_admin sees its merchant's)",
  description: "Newest first. `overdue=true`: only open or in-review tickets past their first-response or resolution target.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      status: Status.optional(),
      category: Category.optional(),
      city: z.string().min(1).max(64).optional().openapi({ description: "A city id" }),
      overdue: z
        .enum(["true", "false"])
        .optional()
        .transform((v) => v === "true"),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Ticket), "Tickets"), ...authErrors() },
});

export const review = createRoute({
  operationId: "reviewTicket",
  method: "post",
  path: "/v1/admin/tickets/{id}/review",
  tags: ["Tickets"],
  summary: "Take an open ticket into review (its first response)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: TicketParam },
  responses: { 200: jsonContent(Ticket, "In review"), ...authErrors(404, 409) },
});

export const resolve = createRoute({
  operationId: "resolveTicket",
  method: "post",
  path: "/v1/admin/tickets/{id}/resolve",
  tags: ["Tickets"],
  summary: "Resolve a ticket: rework visit, refund, compensation coupon and/or penalty (Idempotency-Key required)",
  description:
    "At least one part (400 TICKET_NOTHING_DECIDED). `rework`: a free visit (price 0, the reason on the order) booked through the cell like any order, on the order's technician by default, another one by `technicianId`, or whoever dispatch picks with `technicianId: null` (409 SLOT_UNAVAILABLE when taken; nothing decided then). `refund`: through the refund flow (`amount` or everything paid that is left; 409 NOTHING_TO_REFUND on an unpaid order). `coupon`: a one-use fixed coupon of `amount` 分, valid TICKET_COUPON_DAYS, its code in the resolution. `penalty`: `amount` 分 deducted from the technician's earnings (ledger `penalty`) and TICKET_PENALTY_POINTS credit points (a `complaint_upheld` credit fact). Two decisions at once: exactly one wins, the other gets 409 TICKET_DECIDED; the money, coupon and rework happen once. A retry with the same key replays the answer (Idempotent-Replayed: true).",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: TicketParam,
    headers: IdempotencyHeader,
    body: jsonBody(
      z
        .object({
          reason: Text,
          rework: z
            .object({
              start: z.string().datetime({ offset: true }),
              technicianId: z.string().min(1).max(64).nullable().optional(),
            })
            .strict()
            .optional(),
          refund: z
            .object({ amount: z.number().int().min(1).max(100_000_000).optional() })
            .strict()
            .optional(),
          coupon: z
            .object({ amount: z.number().int().min(1).max(10_000_000) })
            .strict()
            .optional(),
          penalty: z
            .object({ amount: z.number().int().min(1).max(10_000_000) })
            .strict()
            .optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Ticket, "Resolved"), ...authErrors(404, 409, 422) },
});

export const reject = createRoute({
  operationId: "rejectTicket",
  method: "post",
  path: "/v1/admin/tickets/{id}/reject",
  tags: ["Tickets"],
  summary: "Reject a ticket (not upheld), with the reason the parties see",
  description: "Idempotency-Key optional. Same rule as resolving: of two decisions exactly one wins (409 TICKET_DECIDED).",
  security: bearer,
  middleware: [staff] as const,
  request: { params: TicketParam, headers: IdempotencyHeader, body: jsonBody(z.object({ reason: Text }).strict()) },
  responses: { 200: jsonContent(Ticket, "Rejected"), ...authErrors(404, 409, 422) },
});
