import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import {
  Change,
  ChangeDecision,
  ChangeParam,
  ExtraChargeRequest,
  OrderParam,
  RejectChange,
  TaskChangeParam,
  TaskParam,
  TimeChangeRequest,
} from "./visit.schemas";

const technician = requireRole("technician");
const customer = requireRole("customer");

export const requestExtraCharge = createRoute({
  operationId: "requestExtraCharge",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/extra-charges",
  tags: ["Visit"],
  summary: "Ask the customer to approve extra charges on my job",
  description:
    "While arrived or in_service (else 409 INVALID_STATE). One extra charge waits at a time (409 CHANGE_PENDING); completing waits until the customer decides or it is withdrawn.",
  security: bearer,
  middleware: [technician] as const,
  request: { params: TaskParam, body: jsonBody(ExtraChargeRequest) },
  responses: { 201: jsonContent(Change, "Waiting for the customer"), ...authErrors(404, 409, 413, 415) },
});

export const requestTimeChange = createRoute({
  operationId: "requestTimeChange",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/time-change",
  tags: ["Visit"],
  summary: "Ask the customer to move my job to another start",
  description:
    "While assigned or accepted (else 409 INVALID_STATE), within the service's lead time and horizon. Nothing moves until the customer approves; one time change waits at a time (409 CHANGE_PENDING).",
  security: bearer,
  middleware: [technician] as const,
  request: { params: TaskParam, body: jsonBody(TimeChangeRequest) },
  responses: { 201: jsonContent(Change, "Waiting for the customer"), ...authErrors(404, 409, 413, 415) },
});

export const withdrawChange = createRoute({
  operationId: "withdrawOrderChange",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/changes/{changeId}/withdraw",
  tags: ["Visit"],
  summary: "Withdraw a change I asked for that the customer has not decided",
  security: bearer,
  middleware: [technician] as const,
  request: { params: TaskChangeParam },
  responses: { 200: jsonContent(Change, "Withdrawn"), ...authErrors(404, 409) },
});

export const listChanges = createRoute({
  operationId: "listOrderChanges",
  method: "get",
  path: "/v1/orders/{id}/changes",
  tags: ["Visit"],
  summary: "Extra charges and time changes asked for on an order (its customer, its technician, staff)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderParam, query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Change), "Changes, oldest first"), ...authErrors(404) },
});

export const approveChange = createRoute({
  operationId: "approveOrderChange",
  method: "post",
  path: "/v1/orders/{id}/changes/{changeId}/approve",
  tags: ["Visit"],
  summary: "Approve a change the technician asked for on my order",
  description:
    "An extra charge adds its lines to the order and its total (timeline: `extra charge approved`). A time change reschedules with the same technician, atomically, at the price as booked (the technician proposed it; a move the customer asks for is priced again, see `POST /v1/orders/{id}/reschedule`); if that time is no longer free the change is rejected (`slot no longer free`) and the answer is 409 SLOT_UNAVAILABLE. 409 CHANGE_NOT_PENDING once decided; 409 INVALID_STATE when the order has moved past it; 409 CHANGE_OUTDATED when its technician no longer has the order.",
  security: bearer,
  middleware: [customer] as const,
  request: { params: ChangeParam },
  responses: { 200: jsonContent(ChangeDecision, "Approved"), ...authErrors(404, 409) },
});

export const rejectChange = createRoute({
  operationId: "rejectOrderChange",
  method: "post",
  path: "/v1/orders/{id}/changes/{changeId}/reject",
  tags: ["Visit"],
  summary: "Reject a change the technician asked for on my order",
  security: bearer,
  middleware: [customer] as const,
  request: { params: ChangeParam, body: { required: false, content: { "application/json": { schema: RejectChange } } } },
  responses: { 200: jsonContent(ChangeDecision, "Rejected"), ...authErrors(404, 409, 413, 415) },
});
