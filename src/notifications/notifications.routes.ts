import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, LocalizedSchema, page } from "../http/openapi";

const platform = requireRole("operator", "admin");

/** `true`/`false` (also 1/0) in a query string. */
const Flag = z
  .enum(["true", "false", "1", "0"])
  .transform((v) => v === "true" || v === "1")
  .optional();

export const Notification = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: "order.accepted" }),
    title: LocalizedSchema,
    body: z.object({ zh: z.string(), en: z.string() }),
    data: z.record(z.string(), z.unknown()).openapi({ description: "What the notice is about, e.g. `{ orderId }`" }),
    read: z.boolean(),
    readAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Notification");

export const list = createRoute({
  operationId: "listNotifications",
  method: "get",
  path: "/v1/me/notifications",
  tags: ["Notifications"],
  summary: "My notification centre, newest first, with the unread count",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { query: z.object({ unread: Flag, limit: LimitQuery, cursor: CursorQuery }) },
  responses: {
    200: jsonContent(page(Notification).extend({ unread: z.number().int() }), "Notices"),
    ...authErrors(),
  },
});

export const read = createRoute({
  operationId: "markNotificationRead",
  method: "post",
  path: "/v1/me/notifications/{id}/read",
  tags: ["Notifications"],
  summary: "Mark one of my notices read (idempotent)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: IdParam("id", "ntf_01JD3") },
  responses: { 200: jsonContent(Notification, "The notice"), ...authErrors(404) },
});

export const readAll = createRoute({
  operationId: "markAllNotificationsRead",
  method: "post",
  path: "/v1/me/notifications/read-all",
  tags: ["Notifications"],
  summary: "Mark all my notices read",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(z.object({ updated: z.number().int() }), "How many were unread"), ...authErrors() },
});

export const DeadLetter = z
  .object({
    id: z.string().openapi({ description: "The outbox message id" }),
    queue: z.string().openapi({
      description: "The queue that gave up on it: doorstep-notifications, or doorstep-cell-events (topic is then the cell event's type)",
    }),
    topic: z.string(),
    payload: z.record(z.string(), z.unknown()),
    error: z.string().openapi({ description: "The last delivery failure, or what to look for in the logs" }),
    attempts: z.number().int(),
    createdAt: z.string(),
    replayedAt: z.string().nullable(),
  })
  .openapi("DeadLetter");

export const deadLetters = createRoute({
  operationId: "listDeadLetters",
  method: "get",
  path: "/v1/admin/notifications/dead-letters",
  tags: ["Notifications"],
  summary: "Notifications and cell events the queues gave up on (after retries with backoff)",
  security: bearer,
  middleware: [platform] as const,
  request: { query: z.object({ pending: Flag, limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(DeadLetter), "Dead letters"), ...authErrors() },
});

export const replay = createRoute({
  operationId: "replayDeadLetter",
  method: "post",
  path: "/v1/admin/notifications/dead-letters/{id}/replay",
  tags: ["Notifications"],
  summary: "Send a dead letter to its queue again (audited)",
  description:
    "Deliveries that already went out are not repeated; cell events are acted on only if still due. 409 ALREADY_REPLAYED until it fails again.",
  security: bearer,
  middleware: [platform] as const,
  request: { params: IdParam("id", "msg_01JD3") },
  responses: { 200: jsonContent(DeadLetter, "Queued again"), ...authErrors(404, 409) },
});

export const Device = z
  .object({
    id: z.string(),
    platform: z.enum(["ios", "android", "web"]),
    provider: z.enum(["jpush", "fcm"]),
    appVersion: z.string(),
    createdAt: z.string(),
    updatedAt: z.string().openapi({ description: "When the token was last registered" }),
  })
  .openapi("PushDevice");

export const RegisterDevice = z
  .object({
    platform: z.enum(["ios", "android", "web"]),
    provider: z.enum(["jpush", "fcm"]).openapi({ description: "jpush: a JPush registration id; fcm: an FCM registration token" }),
    token: z.string().min(1).max(4096),
    appVersion: z.string().min(1).max(50).openapi({ example: "2.3.0" }),
  })
  .strict()
  .openapi("RegisterDevice");

export const registerDevice = createRoute({
  operationId: "registerDevice",
  method: "post",
  path: "/v1/me/devices",
  tags: ["Notifications"],
  summary: "Register this device for push notices (idempotent per token)",
  description:
    "A token already registered, by this account or another, moves to the caller and is refreshed: the device keeps its id. The token is never returned.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(RegisterDevice) },
  responses: { 200: jsonContent(Device, "The device"), ...authErrors() },
});

export const listDevices = createRoute({
  operationId: "listDevices",
  method: "get",
  path: "/v1/me/devices",
  tags: ["Notifications"],
  summary: "My devices registered for push notices",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Device) }), "Devices"), ...authErrors() },
});

export const deleteDevice = createRoute({
  operationId: "deleteDevice",
  method: "delete",
  path: "/v1/me/devices/{id}",
  tags: ["Notifications"],
  summary: "Stop push notices to one of my devices",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: IdParam("id", "dev_01JD3") },
  responses: { 204: { description: "Removed" }, ...authErrors(404) },
});
