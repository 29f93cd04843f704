import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, jsonBody, jsonContent } from "../http/openapi";
import { Order } from "../orders/orders.schemas";
import { OrderParam } from "./visit.schemas";

export const renewStartCode = createRoute({
  operationId: "renewStartCode",
  method: "post",
  path: "/v1/orders/{id}/start-code",
  tags: ["Visit"],
  summary: "Issue a new start code for my order (unlocks a locked one)",
  description:
    "The technician starts the work with the 4-digit code the customer shows. After 5 wrong codes it is locked (the technician gets 409 START_CODE_LOCKED, even with the right code); a new code replaces the old one and unlocks it. Until the work has started (else 409 INVALID_STATE). The answer is the order with the new `startCode`.",
  security: bearer,
  middleware: [requireRole("customer")] as const,
  request: { params: OrderParam },
  responses: { 200: jsonContent(Order, "The order with its new start code"), ...authErrors(404, 409) },
});

export const unlockStartCode = createRoute({
  operationId: "unlockStartCode",
  method: "post",
  path: "/v1/admin/orders/{id}/start-code/unlock",
  tags: ["Operations"],
  summary: "Unlock a start code locked by wrong tries (audited)",
  description:
    "For operators and the order's merchant, with a reason written to the audit log and the order's timeline. The customer's code stays as it was; the technician gets 5 more tries. 409 START_CODE_NOT_LOCKED when it is not locked, 409 INVALID_STATE once the work has started.",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: OrderParam, body: jsonBody(z.object({ reason: z.string().trim().min(1).max(200) }).strict()) },
  responses: { 200: jsonContent(Order, "Unlocked"), ...authErrors(404, 409, 413, 415) },
});
