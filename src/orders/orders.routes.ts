import { createRoute, z } from "@hono/zod-openapi";
import { ORDER_STATUSES } from "../domain/order-state";
import { requireAuth } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { Order, OrderId, OrderRequest, Quote, QuoteRequest, ReorderRequest, TimeWindowRequest } from "./orders.schemas";

export const createQuote = createRoute({
  operationId: "createQuote",
  method: "post",
  path: "/v1/quotes",
  tags: ["Booking"],
  summary: "Price a job: lines and total, signed and expiring",
  description:
    "Lines: base, units, extras, rush, night/holiday surcharges, distance beyond the service's free radius. The quote expires after QUOTE_TTL_SECONDS; any change to it is refused at ordering.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(QuoteRequest) },
  responses: { 201: jsonContent(Quote, "Quote"), ...authErrors(404, 413, 415) },
});

export const placeOrder = createRoute({
  operationId: "placeOrder",
  method: "post",
  path: "/v1/orders",
  tags: ["Booking"],
  summary: "Book a quoted job (Idempotency-Key required)",
  description:
    "Holds the interval in the owner cell of the chosen or best technician, then writes the order (pending_payment with holdExpiresAt, or confirmed and dispatched at once when paying after the service). 409 UNPAID_BALANCE (with `orderId`) while a completed order of the customer is not paid in full: nothing is written. A retry with the same Idempotency-Key returns the stored answer with `Idempotent-Replayed: true`; 409 IDEMPOTENCY_IN_FLIGHT while the first runs; 422 for the same key with another body. 409 SLOT_UNAVAILABLE when nobody can take it.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({ description: "Required. A bare or quoted string, 1–255 visible characters" }),
    }),
    body: jsonBody(OrderRequest),
  },
  responses: { 201: jsonContent(Order, "Booked"), ...authErrors(404, 409, 413, 415, 422) },
});

export const listOrders = createRoute({
  operationId: "listOrders",
  method: "get",
  path: "/v1/orders",
  tags: ["Booking"],
  summary: "My orders, newest first",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { query: z.object({ status: z.enum(ORDER_STATUSES).optional(), limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Order), "Orders"), ...authErrors() },
});

export const getOrder = createRoute({
  operationId: "getOrder",
  method: "get",
  path: "/v1/orders/{id}",
  tags: ["Booking"],
  summary: "One of my orders with its timeline",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderId },
  responses: { 200: jsonContent(Order, "Order"), ...authErrors(404) },
});

export const cancelOrder = createRoute({
  operationId: "cancelOrder",
  method: "post",
  path: "/v1/orders/{id}/cancel",
  tags: ["Booking"],
  summary: "Cancel my order; the refund is decided by the service's policy",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderId, body: jsonBody(z.object({ reason: z.string().trim().min(1).max(500) }).strict()) },
  responses: { 200: jsonContent(Order, "Cancelled"), ...authErrors(404, 409, 413, 415) },
});

export const rescheduleOrder = createRoute({
  operationId: "rescheduleOrder",
  method: "post",
  path: "/v1/orders/{id}/reschedule",
  tags: ["Booking"],
  summary: "Move my order to another start or window (same technician, atomic)",
  description:
    "The old interval is released only if the new one is taken. Allowed until the technician sets off. A later cancellation refunds at most the cancellation policy's tier at the moment of the move (taken against the start being left), so moving a late booking out does not buy a full refund.\n\n" +
    "**Price.** The lines that depend on the start (`night`, `holiday`) are priced again for the new start by the same rules as a fresh quote (the service's current surcharge rules on the order's base, units and extras); every other line stays as booked (rush, distance, a coupon, approved extra charges). If the total stays the same the move goes through at once. If it changes, nothing is moved and the answer is 409 `PRICE_CHANGED` carrying `quoteId` (a signed reschedule quote `rsq_…`, valid `QUOTE_TTL_SECONDS`), `expiresAt`, `start`, `end`, the new `lines`, `total`, `previousTotal` and `difference`. Send the same `start` again with that `quoteId` to confirm: the move, the new lines and total, and the money are written together (the calendar move is unchanged, so there is no double booking). A `quoteId` that is altered, for another order or start: 400 `QUOTE_INVALID`; expired: 400 `QUOTE_EXPIRED`; the order moved or its lines changed since it was quoted (e.g. the quote was used already): 409 `RESCHEDULE_QUOTE_STALE`; the rules changed meanwhile: 409 `PRICE_CHANGED` again with a new quote. Nothing changes on any of these.\n\n" +
    "**Money.** Paid above the new total: the difference is refunded through the provider that took it (refund kind `reschedule`). Paid in full and now dearer: the difference is due, paid as the `balance` stage of `POST /v1/orders/{id}/payments` (left unpaid, it stays due at completion like any balance). Not paid yet (pay after service, or waiting for payment): only the total changes; a full payment started before the move settles against the new total (paid above it: refunded, kind `reschedule`; below it: the rest is the balance). The timeline entry (`rescheduled, price changed`) carries a `note` in zh-CN and en, and the customer gets an `order.repriced` notice.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: OrderId,
    body: jsonBody(
      z
        .object({
          start: z.iso.datetime({ offset: true }).optional().openapi({ description: "The new exact start; or name `window` instead" }),
          window: TimeWindowRequest.optional().openapi({
            description:
              "A new flexible window instead of `start` (exactly one of them): the order moves to the earliest start inside it its technician can take and keeps the window. Same rules as a quote's window (400 INVALID_WINDOW naming the field); priced at the window's start; no start fits: 409 WINDOW_FULL, nothing changed.",
          }),
          quoteId: z
            .string()
            .min(1)
            .max(8192)
            .optional()
            .openapi({ description: "The reschedule quote of a 409 PRICE_CHANGED answer: confirms its new price" }),
        })
        .strict(),
    ),
  },
  responses: { 200: jsonContent(Order, "Rescheduled"), ...authErrors(404, 409, 413, 415) },
});

export const reorderOrder = createRoute({
  operationId: "reorderOrder",
  method: "post",
  path: "/v1/orders/{id}/reorder",
  tags: ["Booking"],
  summary: "Book one of my orders again in one call (Idempotency-Key required)",
  description:
    "The same service, units and extras at the order's address (or `addressId`, another of mine), at `start`: quoted afresh at today's prices (with `bestCoupon`, the best coupon of my wallet or a running promotion) and booked as `POST /v1/orders` books, with the same answers (409 SLOT_UNAVAILABLE, UNPAID_BALANCE, …). A retry with the same key and body replays the answer. 404 for an order or address that is not mine.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: OrderId,
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({ description: "Required. A bare or quoted string, 1–255 visible characters" }),
    }),
    body: jsonBody(ReorderRequest),
  },
  responses: { 201: jsonContent(Order, "Booked"), ...authErrors(404, 409, 413, 415, 422) },
});
