import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonContent, LimitQuery, page } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");
const customer = requireRole("customer");

const Localized = z.object({ zh: z.string(), en: z.string() });
const DropReason = z.enum(["declined", "expired", "day_changed", "move_refused", "concurrent_update", "withdrawn"]).nullable();

const AskGroup = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    status: z.enum(["waiting", "applying", "applied", "dropped"]),
    statusText: Localized,
    reason: DropReason.openapi({ description: "Why a dropped group was dropped" }),
    reasonText: Localized.nullable(),
    closesAt: z.string().openapi({ description: "Answers are taken until then (city's zone)" }),
    size: z.number().int(),
    approved: z.number().int(),
    declined: z.number().int(),
    moveId: z.string().nullable(),
    orders: z.array(
      z.object({
        questionId: z.string(),
        orderId: z.string(),
        currentStart: z.string(),
        start: z.string(),
        end: z.string(),
        answer: z.enum(["pending", "approved", "declined"]),
      }),
    ),
  })
  .openapi("RoutePlanAskGroup");

const PlanAsks = z.object({ planId: z.string(), groups: z.array(AskGroup) }).openapi("RoutePlanAsks");

export const TimeProposal = z
  .object({
    id: z.string(),
    orderId: z.string(),
    currentStart: z.string().openapi({ description: "The visit's start now (city's zone)" }),
    start: z.string().openapi({ description: "The proposed start" }),
    end: z.string(),
    text: Localized.openapi({ description: "The question as the customer reads it" }),
    answer: z.enum(["pending", "approved", "declined"]),
    state: z.enum(["open", "approved", "declined", "applied", "dropped"]),
    stateText: Localized,
    reason: DropReason,
    reasonText: Localized.nullable(),
    closesAt: z.string(),
    group: z.object({ size: z.number().int(), approved: z.number().int() }),
    createdAt: z.string(),
  })
  .openapi("TimeProposal");

export const ask = createRoute({
  operationId: "askRoutePlanCustomers",
  method: "post",
  path: "/v1/admin/route-plans/{id}/ask",
  tags: ["Operations"],
  summary: "Ask the customers in the app for a plan's proposed times",
  description:
    "A ready plan's moves are accepted first (as `accept`, with its 409s), then its time proposals are asked in groups, one per technician's day: a group is applied through the cell (all or nothing) only once every customer of it approved, and dropped when one declines, when it closes unanswered (`ROUTE_PLAN_ASK_CLOSE_MINUTES` before its earliest start) or when the day changed meanwhile. Repeats ask only groups not asked yet. 409 `NOTHING_TO_ASK` for a plan without proposals or with them applied.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: IdParam("id", "rpl_01J0000000000000000000000") },
  responses: { 200: jsonContent(PlanAsks, "The groups asked"), ...authErrors(404, 409) },
});

export const asks = createRoute({
  operationId: "getRoutePlanAsks",
  method: "get",
  path: "/v1/admin/route-plans/{id}/asks",
  tags: ["Operations"],
  summary: "The groups of a plan's proposed times asked of the customers, and their state",
  security: bearer,
  middleware: [staff] as const,
  request: { params: IdParam("id", "rpl_01J0000000000000000000000") },
  responses: { 200: jsonContent(PlanAsks, "The groups"), ...authErrors(404) },
});

export const withdraw = createRoute({
  operationId: "withdrawRoutePlanAsk",
  method: "post",
  path: "/v1/admin/route-plans/{id}/asks/{groupId}/withdraw",
  tags: ["Operations"],
  summary: "Withdraw a group of proposed times still waiting for its customers",
  description:
    "A `waiting` group is dropped with reason `withdrawn`; each of its customers who did not decline is told their time stays. Withdrawing a group already withdrawn answers it as it is; a group `applying`, `applied` or dropped for another reason is 409 `ASK_NOT_WAITING`. Against the last approval exactly one wins: the group ends applied or withdrawn.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: IdParam("id", "rpl_01J0000000000000000000000").merge(IdParam("groupId", "rpg_01J0000000000000000000000")) },
  responses: { 200: jsonContent(AskGroup, "The group, withdrawn"), ...authErrors(404, 409) },
});

export const mine = createRoute({
  operationId: "listMyTimeProposals",
  method: "get",
  path: "/v1/me/time-proposals",
  tags: ["Orders"],
  summary: "New visit times proposed to me, newest first",
  security: bearer,
  middleware: [customer] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(TimeProposal), "Time proposals"), ...authErrors() },
});

const answer = (decision: "approve" | "decline") =>
  createRoute({
    operationId: decision === "approve" ? "approveTimeProposal" : "declineTimeProposal",
    method: "post",
    path: `/v1/me/time-proposals/{id}/${decision}`,
    tags: ["Orders"],
    summary: decision === "approve" ? "Approve a proposed new visit time" : "Decline a proposed new visit time (the time stays)",
    description:
      "The same answer again answers the proposal as it is; another answer to a decided proposal, or any answer once it closed (declined by another customer of the same day, past its close, applied), is 409 `PROPOSAL_CLOSED`. The last approval of a group applies it.",
    security: bearer,
    middleware: [customer] as const,
    request: { params: IdParam("id", "rpq_01J0000000000000000000000") },
    responses: { 200: jsonContent(TimeProposal, "Answered"), ...authErrors(404, 409) },
  });

export const approve = answer("approve");
export const decline = answer("decline");
