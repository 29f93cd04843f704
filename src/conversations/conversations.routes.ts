import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, errorResponses, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { SocketTicketResponse, TicketQuery } from "../http/socket-ticket";
import { OrderParam, photoRouteDefs } from "../visit";

const { imageContent, photoBodyLimit } = photoRouteDefs;

const platform = requireRole("operator", "admin");
const tags = ["Conversations"];
const ConversationParam = IdParam("id", "cnv_01JD3");
const Reason = z.string().trim().min(1).max(200).optional().openapi({
  description:
    "Operators and admins who are not one of the conversation's own people (an order's customer or technician; a support conversation's requester or the staff member holding it) must state why they read it (recorded in the audit log)",
});

const Participant = z.object({
  accountId: z.string(),
  role: z.enum(["customer", "technician", "requester", "staff"]),
  lastReadMessageId: z.string().nullable().openapi({ description: "The read receipt: the last message this participant has read" }),
  lastReadAt: z.string().nullable(),
});

export const Conversation = z
  .object({
    id: z.string(),
    kind: z.enum(["order", "support"]),
    orderId: z.string().nullable(),
    ticketId: z.string().nullable(),
    requesterId: z.string().nullable(),
    assigneeId: z.string().nullable().openapi({ description: "The staff member handling a support conversation" }),
    waitingSince: z.string().nullable().openapi({ description: "The user's first message staff have not answered (the SLA timer)" }),
    overdue: z.boolean().openapi({ description: "Waiting longer than CHAT_SLA_MINUTES" }),
    lastMessageAt: z.string().nullable(),
    createdAt: z.string(),
    unread: z.number().int().optional(),
    participants: z.array(Participant).optional(),
  })
  .openapi("Conversation");

export const ChatMessage = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    senderId: z.string(),
    kind: z.enum(["text", "image", "order"]),
    text: z.string().nullable().openapi({ description: "As stored: phone numbers, WeChat ids and payment requests masked" }),
    imageUrl: z.string().nullable(),
    orderId: z.string().nullable().openapi({ description: "An order card: the order it shows" }),
    masked: z.boolean().openapi({ description: "Something was masked in the text" }),
    erased: z.boolean().openapi({ description: "Emptied by an account deletion: its text and image are gone" }),
    createdAt: z.string(),
  })
  .openapi("ChatMessage");

const Canned = z.object({ id: z.string(), title: z.string(), body: z.string(), updatedAt: z.string() }).openapi("CannedAnswer");
const CannedBody = z.object({ title: z.string().trim().min(1).max(60), body: z.string().trim().min(1).max(1000) }).strict();

export const list = createRoute({
  operationId: "listConversations",
  method: "get",
  path: "/v1/conversations",
  tags,
  summary: "My conversations, latest activity first, with unread counts and my total unread",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { query: z.object({ limit: LimitQuery }) },
  responses: {
    200: jsonContent(z.object({ items: z.array(Conversation), totalUnread: z.number().int() }), "Conversations"),
    ...authErrors(),
  },
});

export const start = createRoute({
  operationId: "startSupportConversation",
  method: "post",
  path: "/v1/conversations",
  tags,
  summary: "Open a support conversation with the platform's staff",
  description:
    "Optionally about an order the caller may see (404 otherwise) and/or an after-sales ticket (`ticketId`, not checked here), with a first message. Staff see it in their inbox (unassigned) until one of them claims it.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    body: jsonBody(
      z
        .object({
          orderId: z.string().min(1).max(64).optional(),
          ticketId: z.string().min(1).max(64).optional(),
          text: z.string().trim().min(1).max(2000).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Conversation, "Opened"), ...authErrors(404, 409, 413, 415) },
});

export const ofOrder = createRoute({
  operationId: "getOrderConversation",
  method: "get",
  path: "/v1/orders/{id}/conversation",
  tags,
  summary: "My order's chat with its technician (or customer)",
  description: `Made on first use once a technician accepted the order; it takes messages until CHAT_GRACE_HOURS after completion (\`open\`). Before acceptance: 409 CONVERSATION_CLOSED. Only the order's customer and technician (404 for anyone else).`,
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(Conversation.extend({ open: z.boolean() }), "The conversation"), ...authErrors(404, 409) },
});

export const get = createRoute({
  operationId: "getConversation",
  method: "get",
  path: "/v1/conversations/{id}",
  tags,
  summary: "A conversation with its participants and read receipts",
  description:
    "Its own people: an order's customer and technician; a support conversation's requester and the staff member holding it. Any other operator or admin (a support conversation unassigned, held by someone else, or handed off) only with `reason` (403 REASON_REQUIRED without; each read audited as `conversation.read`).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: ConversationParam, query: z.object({ reason: Reason }) },
  responses: { 200: jsonContent(Conversation, "The conversation"), ...authErrors(404) },
});

export const messages = createRoute({
  operationId: "listConversationMessages",
  method: "get",
  path: "/v1/conversations/{id}/messages",
  tags,
  summary: "A conversation's history, newest first (paged by cursor)",
  description: "Who may read it: as for the conversation (staff not holding it need `reason`, audited).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: ConversationParam, query: z.object({ limit: LimitQuery, cursor: CursorQuery, reason: Reason }) },
  responses: { 200: jsonContent(page(ChatMessage), "Messages"), ...authErrors(404) },
});

export const send = createRoute({
  operationId: "sendConversationMessage",
  method: "post",
  path: "/v1/conversations/{id}/messages",
  tags,
  summary: "Send a text or an order card",
  description:
    "`text`: phone numbers, WeChat ids and requests to pay outside the platform are masked before it is stored or delivered; words of CHAT_ABUSE_WORDS flag it to staff. `orderId`: an order card, for an order the sender may see (404 otherwise). An order's chat is closed before acceptance and CHAT_GRACE_HOURS after completion (409 CONVERSATION_CLOSED); staff reply to a support conversation once they claimed it (409 NOT_ASSIGNED). The message goes live to the participants' sockets; those without one get a notice (in-app, push, SMS).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: ConversationParam,
    body: jsonBody(
      z.union([z.object({ text: z.string().trim().min(1).max(2000) }).strict(), z.object({ orderId: z.string().min(1).max(64) }).strict()]),
    ),
  },
  responses: { 201: jsonContent(ChatMessage, "Sent"), ...authErrors(404, 409, 413, 415) },
});

export const sendImage = createRoute({
  operationId: "sendConversationImage",
  method: "post",
  path: "/v1/conversations/{id}/images",
  tags,
  summary: "Send an image (raw image body)",
  description:
    "The body is the image: image/jpeg, image/png or image/webp (else 415), at most 5 MB (413 PHOTO_TOO_LARGE), bytes of that format (400 PHOTO_INVALID) — the checks of visit photos. Stored in R2; nothing is kept when refused.",
  security: bearer,
  middleware: [requireAuth, photoBodyLimit] as const,
  request: { params: ConversationParam, body: { required: true, content: imageContent } },
  responses: { 201: jsonContent(ChatMessage, "Sent"), ...authErrors(404, 409, 413, 415) },
});

export const image = createRoute({
  operationId: "getConversationImage",
  method: "get",
  path: "/v1/conversations/{id}/messages/{messageId}/image",
  tags,
  summary: "An image message's bytes",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: ConversationParam.merge(IdParam("messageId", "cmg_01JD3")), query: z.object({ reason: Reason }) },
  responses: { 200: { description: "The image", content: imageContent }, ...authErrors(404) },
});

export const read = createRoute({
  operationId: "markConversationRead",
  method: "post",
  path: "/v1/conversations/{id}/read",
  tags,
  summary: "Mark the conversation read up to a message (my read receipt)",
  description: "Never moves back. Answers my unread count left in the conversation.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: ConversationParam, body: jsonBody(z.object({ messageId: z.string().min(1).max(64) }).strict()) },
  responses: {
    200: jsonContent(z.object({ conversationId: z.string(), lastReadMessageId: z.string(), unread: z.number().int() }), "Read"),
    ...authErrors(404, 413, 415),
  },
});

const livePath = "/v1/conversations/{id}/live";

export const live = createRoute({
  operationId: "openConversationLive",
  method: "get",
  path: livePath,
  tags,
  summary: "Receive a conversation's new messages live: a WebSocket",
  description:
    'Upgrade to a WebSocket (Authorization header, or `?ticket=` from `POST /v1/conversations/{id}/live/ticket`). The conversation\'s cell sends `{"type":"message","message":{…ChatMessage}}` for every message stored from then on; send `{"type":"ping"}` to get `{"type":"pong"}`. The conversation\'s own people only (a support conversation: its requester and the staff member holding it; other staff follow the inbox socket). See docs/websockets.md.',
  security: bearer,
  request: { params: ConversationParam, query: TicketQuery },
  responses: { 101: { description: "Switching to WebSocket" }, ...errorResponses(401, 403, 404, 409) },
});

export const liveTicket = createRoute({
  operationId: "createConversationTicket",
  method: "post",
  path: `${livePath}/ticket`,
  tags,
  summary: "A single-use ticket to open a conversation's socket from a browser",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: ConversationParam },
  responses: { 201: jsonContent(SocketTicketResponse, "A ticket"), ...authErrors(404) },
});

export const inbox = createRoute({
  operationId: "listSupportInbox",
  method: "get",
  path: "/v1/admin/conversations",
  tags,
  summary: "The staff inbox: support conversations, unassigned, assigned or mine, longest wait first",
  description:
    "Each with the SLA timer (`waitingSeconds` since the user's first unanswered message, `overdue` past CHAT_SLA_MINUTES) and, on the conversations the caller holds, the last message's text (`lastText`; null on the others, which need a stated reason to read). Live changes: the socket `GET /v1/admin/conversations/live`.",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ state: z.enum(["unassigned", "assigned", "mine"]).default("unassigned"), limit: LimitQuery }) },
  responses: {
    200: jsonContent(
      z.object({
        slaMinutes: z.number().int(),
        items: z.array(Conversation.extend({ waitingSeconds: z.number().int().nullable(), lastText: z.string().nullable() })),
      }),
      "Inbox",
    ),
    ...authErrors(),
  },
});

const inboxLivePath = "/v1/admin/conversations/live";

export const inboxLive = createRoute({
  operationId: "openSupportInboxLive",
  method: "get",
  path: inboxLivePath,
  tags,
  summary: "Follow the staff inbox live: a WebSocket",
  description:
    'Operators and admins (403 otherwise). Upgrade to a WebSocket (Authorization header, or `?ticket=` from `POST /v1/admin/conversations/live/ticket`). Every support conversation opened, message stored, claim and hand-off is pushed as `{"type":"inbox","event":"opened|message|claimed|handoff","conversationId","assigneeId","at"}` — never a message\'s text; reload the inbox over HTTP. Send `{"type":"ping"}` to get `{"type":"pong"}`. See docs/websockets.md.',
  security: bearer,
  request: { query: TicketQuery },
  responses: { 101: { description: "Switching to WebSocket" }, ...errorResponses(401, 403, 409) },
});

export const inboxLiveTicket = createRoute({
  operationId: "createSupportInboxTicket",
  method: "post",
  path: `${inboxLivePath}/ticket`,
  tags,
  summary: "A single-use ticket to open the staff inbox's socket from a browser",
  security: bearer,
  middleware: [platform] as const,
  responses: { 201: jsonContent(SocketTicketResponse, "A ticket"), ...authErrors() },
});

export const claim = createRoute({
  operationId: "claimConversation",
  method: "post",
  path: "/v1/admin/conversations/{id}/claim",
  tags,
  summary: "Take an unassigned support conversation (of two staff at once, exactly one wins: 409 ALREADY_CLAIMED)",
  security: bearer,
  middleware: [platform] as const,
  request: { params: ConversationParam },
  responses: { 200: jsonContent(Conversation, "Mine now"), ...authErrors(404, 409) },
});

export const handOff = createRoute({
  operationId: "handOffConversation",
  method: "post",
  path: "/v1/admin/conversations/{id}/handoff",
  tags,
  summary: "Hand a conversation I hold to another operator or admin (audited)",
  description: "409 NOT_ASSIGNED unless I hold it; 400 when `staffId` is not an operator or admin.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: ConversationParam, body: jsonBody(z.object({ staffId: z.string().min(1).max(64) }).strict()) },
  responses: { 200: jsonContent(Conversation, "Handed off"), ...authErrors(404, 409, 413, 415) },
});

export const flags = createRoute({
  operationId: "listConversationFlags",
  method: "get",
  path: "/v1/admin/conversation-flags",
  tags,
  summary: "Messages the abuse word list flagged, newest first",
  description: "Reading a flagged conversation one does not hold still needs a stated reason.",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: jsonContent(
      page(
        z.object({
          id: z.string(),
          conversationId: z.string(),
          kind: z.enum(["order", "support"]),
          orderId: z.string().nullable(),
          messageId: z.string(),
          words: z.array(z.string()),
          createdAt: z.string(),
        }),
      ),
      "Flags",
    ),
    ...authErrors(),
  },
});

export const listCanned = createRoute({
  operationId: "listCannedAnswers",
  method: "get",
  path: "/v1/admin/canned-answers",
  tags,
  summary: "Canned answers for the inbox",
  security: bearer,
  middleware: [platform] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Canned) }), "Canned answers"), ...authErrors() },
});

export const createCanned = createRoute({
  operationId: "createCannedAnswer",
  method: "post",
  path: "/v1/admin/canned-answers",
  tags,
  summary: "Add a canned answer",
  security: bearer,
  middleware: [platform] as const,
  request: { body: jsonBody(CannedBody) },
  responses: { 201: jsonContent(Canned, "Added"), ...authErrors(413, 415) },
});

export const updateCanned = createRoute({
  operationId: "updateCannedAnswer",
  method: "put",
  path: "/v1/admin/canned-answers/{id}",
  tags,
  summary: "Edit a canned answer",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "can_01JD3"), body: jsonBody(CannedBody) },
  responses: { 200: jsonContent(Canned, "Saved"), ...authErrors(404, 413, 415) },
});

export const deleteCanned = createRoute({
  operationId: "deleteCannedAnswer",
  method: "delete",
  path: "/v1/admin/canned-answers/{id}",
  tags,
  summary: "Remove a canned answer",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "can_01JD3") },
  responses: { 204: { description: "Removed" }, ...authErrors(404) },
});
