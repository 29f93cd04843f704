import { createRoute, z } from "@hono/zod-openapi";
import { WEBHOOK_EVENT_TYPES } from "../domain/webhooks";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");
const tags = ["Webhooks"];
const Iso = z.iso.datetime({ offset: true });
const EventType = z.enum(WEBHOOK_EVENT_TYPES);
const DeliveryStatus = z.enum(["pending", "retrying", "succeeded", "failed", "held"]);

const SCOPE = "Operators and admins see every subscription and delivery; a merchant_admin only its merchant's (another merchant's is 404).";

export const Subscription = z
  .object({
    id: z.string(),
    merchantId: z.string().nullable().openapi({ description: "The merchant whose orders it hears; null: every order (the platform's)" }),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(["active", "paused"]),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .openapi({ description: "During a rotation's overlap the previous secret still signs (a second `v1=`) until then" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("WebhookSubscription");

const WithSecret = Subscription.extend({
  secret: z.string().openapi({ description: "The signing secret (`whsec_…`): shown this once, never again" }),
}).openapi("WebhookSubscriptionWithSecret");

export const Delivery = z
  .object({
    id: z.string(),
    subscriptionId: z.string(),
    merchantId: z.string().nullable(),
    eventId: z.string().openapi({ description: "The event's id, the same in every attempt and replay (receivers deduplicate on it)" }),
    eventType: z.string(),
    orderId: z.string().nullable(),
    status: DeliveryStatus.openapi({
      description:
        "`pending` (to be sent), `retrying` (failed, tried again at `nextRetryAt`), `succeeded`, `failed` (given up: replay it), `held` (the subscription is paused)",
    }),
    attempts: z.number().int().openapi({ description: "Sends so far, retries and replays included" }),
    lastStatusCode: z.number().int().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextRetryAt: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    requestBody: z.string().openapi({ description: "The JSON body sent (cut after 2048 characters)" }),
    responseBody: z.string().nullable().openapi({ description: "The receiver's last answer (cut after 2048 characters)" }),
  })
  .openapi("WebhookDelivery");

const SubId = IdParam("id", "whs_01JD3");
const DeliveryId = IdParam("id", "whd_01JD3");

const EVENTS_DOC =
  'Events: `order.created`, `order.confirmed`, `order.assigned`, `order.completed`, `order.cancelled`, `payment.succeeded`, `refund.succeeded`, `review.posted`; their bodies are documented in docs/webhooks.md (`{id, type, createdAt, data}`), each POSTed with `Doorstep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.';

const UrlField = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .openapi({ description: "https only; no private, loopback, link-local or metadata address (422 WEBHOOK_URL_REFUSED with `reason`)" });

export const create = createRoute({
  operationId: "createWebhookSubscription",
  method: "post",
  path: "/v1/admin/webhook-subscriptions",
  tags,
  summary: "Subscribe a URL to events (the signing secret is answered once; audited)",
  description: `${EVENTS_DOC} A merchant_admin's subscription hears only its merchant's orders; operators may name \`merchantId\` or leave it out for every order. ${SCOPE}`,
  security: bearer,
  middleware: [staff] as const,
  request: {
    body: jsonBody(
      z
        .object({
          url: UrlField,
          events: z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
          description: z.string().trim().max(200).optional(),
          merchantId: z.string().min(1).max(64).optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(WithSecret, "Subscribed; `secret` is shown only now"), ...authErrors(404, 413, 415, 422) },
});

export const list = createRoute({
  operationId: "listWebhookSubscriptions",
  method: "get",
  path: "/v1/admin/webhook-subscriptions",
  tags,
  summary: "Webhook subscriptions, newest first",
  description: SCOPE,
  security: bearer,
  middleware: [staff] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Subscription), "Subscriptions"), ...authErrors() },
});

export const get = createRoute({
  operationId: "getWebhookSubscription",
  method: "get",
  path: "/v1/admin/webhook-subscriptions/{id}",
  tags,
  summary: "One webhook subscription",
  description: SCOPE,
  security: bearer,
  middleware: [staff] as const,
  request: { params: SubId },
  responses: { 200: jsonContent(Subscription, "The subscription"), ...authErrors(404) },
});

export const patch = createRoute({
  operationId: "patchWebhookSubscription",
  method: "patch",
  path: "/v1/admin/webhook-subscriptions/{id}",
  tags,
  summary: "Change a subscription's URL, events or description, or pause and resume it",
  description:
    "`status: paused` holds new deliveries (`held`); `status: active` resumes and sends what was held. A new URL is checked like a new subscription's.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: SubId,
    body: jsonBody(
      z
        .object({
          url: UrlField.optional(),
          events: z.array(EventType).min(1).max(WEBHOOK_EVENT_TYPES.length).optional(),
          description: z.string().trim().max(200).nullable().optional(),
          status: z.enum(["active", "paused"]).optional(),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Subscription, "Changed"), ...authErrors(404, 413, 415, 422) },
});

export const remove = createRoute({
  operationId: "deleteWebhookSubscription",
  method: "delete",
  path: "/v1/admin/webhook-subscriptions/{id}",
  tags,
  summary: "Delete a subscription (nothing more is sent; its delivery log stays; audited)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: SubId },
  responses: { 204: { description: "Deleted" }, ...authErrors(404) },
});

export const rotate = createRoute({
  operationId: "rotateWebhookSecret",
  method: "post",
  path: "/v1/admin/webhook-subscriptions/{id}/rotate-secret",
  tags,
  summary: "Rotate the signing secret (the new one is answered once; audited)",
  description:
    "The new secret signs from now on. For `overlapSeconds` (default 86400, at most 7 days; 0: none) the previous secret signs too: `Doorstep-Signature: t=…,v1=<new>,v1=<old>`, so the receiver can switch to the new secret without refusing a delivery.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: SubId,
    body: jsonBody(z.object({ overlapSeconds: z.number().int().min(0).max(604_800).optional() }).strict()),
  },
  responses: { 200: jsonContent(WithSecret, "Rotated; `secret` is shown only now"), ...authErrors(404, 413, 415) },
});

export const replayAll = createRoute({
  operationId: "replayWebhookDeliveries",
  method: "post",
  path: "/v1/admin/webhook-subscriptions/{id}/replay",
  tags,
  summary: "Send again a subscription's failed deliveries since a time",
  description:
    "Deliveries written since `since` whose status is one of `statuses` (default `failed`) are sent again, oldest first, at most 90 a call (`more`: call again). 409 while the subscription is paused.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: SubId,
    body: jsonBody(z.object({ since: Iso, statuses: z.array(DeliveryStatus).min(1).max(5).optional() }).strict()),
  },
  responses: {
    202: jsonContent(z.object({ replayed: z.number().int(), more: z.boolean() }), "Queued to be sent again"),
    ...authErrors(404, 409, 413, 415),
  },
});

export const deliveries = createRoute({
  operationId: "listWebhookDeliveries",
  method: "get",
  path: "/v1/admin/webhook-deliveries",
  tags,
  summary: "The webhook delivery log, newest first",
  description: `Attempts, the last status code, latency and error, the next retry; bodies cut short. ${SCOPE}`,
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      subscriptionId: z.string().min(1).max(64).optional(),
      status: DeliveryStatus.optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Delivery), "Deliveries"), ...authErrors() },
});

export const delivery = createRoute({
  operationId: "getWebhookDelivery",
  method: "get",
  path: "/v1/admin/webhook-deliveries/{id}",
  tags,
  summary: "One webhook delivery",
  description: SCOPE,
  security: bearer,
  middleware: [staff] as const,
  request: { params: DeliveryId },
  responses: { 200: jsonContent(Delivery, "The delivery"), ...authErrors(404) },
});

export const replay = createRoute({
  operationId: "replayWebhookDelivery",
  method: "post",
  path: "/v1/admin/webhook-deliveries/{id}/replay",
  tags,
  summary: "Send one delivery again",
  description: "The same body and event id, signed anew, whatever became of it before. 409 while its subscription is paused or deleted.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: DeliveryId },
  responses: { 202: jsonContent(Delivery, "Queued to be sent again"), ...authErrors(404, 409) },
});
