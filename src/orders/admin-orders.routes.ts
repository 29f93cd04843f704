import { createRoute, z } from "@hono/zod-openapi";
import { ORDER_QUEUES, ORDER_STATUSES } from "../domain/order-state";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { Order, OrderId } from "./orders.schemas";

const staff = requireRole("operator", "admin", "merchant_admin");

export const list = createRoute({
  operationId: "listAdminOrders",
  method: "get",
  path: "/v1/admin/orders",
  tags: ["Operations"],
  summary: "Orders, filtered; `queue=exceptions` is the operators' exception queue",
  description:
    "A merchant_admin sees only its merchant's orders. `from`/`to` bound the start time (ISO 8601). `queue=exceptions`: everything waiting for staff, each item's `exception` saying why (`manual_dispatch`, `no_candidate`, `max_rounds`, `late`, `after_sales`); `queue=dispatch`: only what dispatch could not place and late orders; `queue=after_sales`: complaints (status `after_sales`) and orders with a refund awaiting approval.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      status: z.enum(ORDER_STATUSES).optional(),
      serviceId: z.string().max(64).optional(),
      merchantId: z.string().max(64).optional(),
      cell: z.string().max(32).optional(),
      queue: z.enum(ORDER_QUEUES).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      limit: LimitQuery,
      cursor: CursorQuery,
    }),
  },
  responses: { 200: jsonContent(page(Order), "Orders"), ...authErrors() },
});

export const get = createRoute({
  operationId: "getAdminOrder",
  method: "get",
  path: "/v1/admin/orders/{id}",
  tags: ["Operations"],
  summary: "One order with its timeline",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId },
  responses: { 200: jsonContent(Order, "Order"), ...authErrors(404) },
});

export const dispatch = createRoute({
  operationId: "getOrderDispatch",
  method: "get",
  path: "/v1/admin/orders/{id}/dispatch",
  tags: ["Operations"],
  summary: "Why the order went to whom: every decision with its candidates and score breakdown",
  description:
    "Operators see every candidate. A merchant_admin sees only its own technicians' details (earnings, acceptance rate, score): other merchants' and platform technicians are left out and counted in `hiddenCandidates`, and `chosenTechnicianId` is null when the decision chose one of them.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId },
  responses: {
    200: jsonContent(
      z.object({
        orderId: z.string(),
        mode: z.string(),
        round: z.number().int(),
        technicianId: z.string().nullable(),
        exception: z.string().nullable(),
        decisions: z.array(
          z.object({
            round: z.number().int(),
            mode: z.string(),
            chosenTechnicianId: z.string().nullable(),
            reason: z.string(),
            candidates: z.array(z.unknown()),
            hiddenCandidates: z.number().int().openapi({
              description: "For a merchant_admin: candidates that are not its own technicians, left out (0 for operators)",
            }),
            at: z.string(),
          }),
        ),
      }),
      "Dispatch decisions",
    ),
    ...authErrors(404),
  },
});

export const assign = createRoute({
  operationId: "assignOrder",
  method: "post",
  path: "/v1/admin/orders/{id}/assign",
  tags: ["Operations"],
  summary: "Assign a technician by hand (same checks as dispatch)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId, body: jsonBody(z.object({ technicianId: z.string().min(1).max(64) }).strict()) },
  responses: { 200: jsonContent(Order, "Assigned"), ...authErrors(404, 409, 413, 415) },
});

export const cancel = createRoute({
  operationId: "cancelOrderAsStaff",
  method: "post",
  path: "/v1/admin/orders/{id}/cancel",
  tags: ["Operations"],
  summary: "Cancel an order (refund decided by the policy)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId, body: jsonBody(z.object({ reason: z.string().trim().min(1).max(500) }).strict()) },
  responses: { 200: jsonContent(Order, "Cancelled"), ...authErrors(404, 409, 413, 415) },
});

export const candidates = createRoute({
  operationId: "listOrderCandidates",
  method: "get",
  path: "/v1/admin/orders/{id}/candidates",
  tags: ["Operations"],
  summary: "Who could take the order now: ranked candidates with their score breakdown",
  description:
    "Scored exactly as automatic dispatch scores (skills, shifts and clashes checked in each home cell); nothing is reserved. Whoever holds the order's interval now is not free then and is left out; a merchant_admin sees only its own technicians. 409 INVALID_TRANSITION when the order can no longer be assigned.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId },
  responses: {
    200: jsonContent(
      z.object({
        orderId: z.string(),
        items: z.array(
          z.object({
            technicianId: z.string(),
            name: z.string(),
            merchantId: z.string().nullable(),
            score: z.number(),
            breakdown: z.record(z.string(), z.number()),
            travelKm: z.number(),
            ratingX100: z.number(),
            jobsThatDay: z.number(),
            weekEarnings: z.number(),
            acceptanceRate: z.number().nullable(),
            favourite: z.boolean(),
            tried: z.boolean().openapi({ description: "Already offered it (declined or missed the deadline): ranked after the others" }),
          }),
        ),
      }),
      "Ranked candidates, best first",
    ),
    ...authErrors(404, 409),
  },
});

export const contact = createRoute({
  operationId: "revealOrderContact",
  method: "post",
  path: "/v1/admin/orders/{id}/contact",
  tags: ["Operations"],
  summary: "Reveal the order's address and contact (audited)",
  description:
    "For operators and the order's merchant. The reason is written to the audit log with the caller; another merchant's order is 404.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: OrderId, body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: {
    200: jsonContent(
      z
        .object({
          orderId: z.string(),
          label: z.string(),
          text: z.string(),
          contactName: z.string(),
          contactPhone: z.string(),
          location: z.object({ lat: z.number(), lng: z.number() }),
        })
        .openapi("OrderContact"),
      "The contact in clear",
    ),
    ...authErrors(404, 413, 415),
  },
});
