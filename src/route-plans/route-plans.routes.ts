import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");

const CellId = z.string().min(1).max(32).openapi({ description: "The H3 cell (technicians' home cell)", example: "8631aa8a7ffffff" });
const Localized = z.object({ zh: z.string(), en: z.string() });
const Figures = z
  .object({ travelMinutes: z.number().int(), distanceKm: z.number(), lateRisks: z.number().int(), jobs: z.number().int() })
  .openapi("RoutePlanFigures");

export const RoutePlan = z
  .object({
    id: z.string(),
    cellId: z.string(),
    date: z.string(),
    merchantId: z.string().nullable(),
    status: z.enum(["queued", "ready", "accepting", "accepted", "discarded", "stale", "failed"]),
    statusText: Localized,
    moves: z.array(
      z.object({ orderId: z.string(), technicianId: z.string(), fromTechnicianId: z.string(), start: z.string(), end: z.string() }),
    ),
    technicians: z.array(z.object({ id: z.string(), name: z.string(), before: Figures, after: Figures, jobs: z.array(z.string()) })),
    before: Figures.nullable(),
    after: Figures.nullable(),
    failure: z.string().nullable(),
    failureText: z
      .object({ en: z.string(), zh: z.string() })
      .nullable()
      .openapi({ description: "Why the plan failed, in both languages (null unless failed)" }),
    moveId: z.string().nullable(),
    proposals: z
      .array(
        z.object({
          orderId: z.string(),
          technicianId: z.string(),
          currentStart: z.string(),
          start: z.string().openapi({ description: "The proposed start (the duration is kept)" }),
          end: z.string(),
        }),
      )
      .openapi({
        description:
          "New starts for fixed-time orders, each on the technician the plan gives it, that cut travel or remove a late risk if the customers agree: within `ROUTE_PLAN_TIME_PROPOSAL_MINUTES` of the start, inside the shift, past the services' lead time. Nothing moves unless the plan is accepted with `withProposals=true`; only offered when moves and proposals fit one multi-move (40 orders).",
      }),
    withProposals: Figures.nullable().openapi({
      description: "The day's figures after the moves and every proposal (null without proposals)",
    }),
    proposalsApplied: z.boolean().openapi({ description: "The accept applies (or applied) the proposals with the moves" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("RoutePlan");

const DESCRIPTION =
  "A team plan keeps every job's start and duration and proposes which technician of the cell does it, to cut travel and remove late risks (skills, shifts and travel gaps as the cell checks them; jobs under way stay). It may also propose new starts for fixed-time orders (`proposals`), applied only when the plan is accepted with `withProposals=true`.";

export const request = createRoute({
  operationId: "requestRoutePlan",
  method: "post",
  path: "/v1/admin/route-plans",
  tags: ["Operations"],
  summary: "Request a team route plan of one cell and day",
  description: `${DESCRIPTION} The plan is built in the background (status \`queued\`, then \`ready\` or \`failed\`): poll it. \`date\` is the local date in the city's time zone. A merchant_admin plans only its own team (\`merchantId\` its own or absent); 404 when no technician of the scope is homed in the cell.`,
  security: bearer,
  middleware: [staff] as const,
  request: {
    body: jsonBody(
      z
        .object({
          cellId: CellId,
          date: z.iso.date().openapi({ description: "Local date (YYYY-MM-DD)" }),
          merchantId: z.string().min(1).max(64).optional(),
        })
        .strict(),
    ),
  },
  responses: { 202: jsonContent(RoutePlan, "Queued"), ...authErrors(404, 413, 415) },
});

export const get = createRoute({
  operationId: "getRoutePlan",
  method: "get",
  path: "/v1/admin/route-plans/{id}",
  tags: ["Operations"],
  summary: "One team route plan: status, moves, figures before and after per technician",
  security: bearer,
  middleware: [staff] as const,
  request: { params: IdParam("id", "rpl_01J0000000000000000000000") },
  responses: { 200: jsonContent(RoutePlan, "The plan"), ...authErrors(404) },
});

export const list = createRoute({
  operationId: "listRoutePlans",
  method: "get",
  path: "/v1/admin/route-plans",
  tags: ["Operations"],
  summary: "The team route plans of one cell and day, newest first",
  security: bearer,
  middleware: [staff] as const,
  request: { query: z.object({ cellId: CellId, date: z.iso.date(), cursor: CursorQuery, limit: LimitQuery }) },
  responses: { 200: jsonContent(page(RoutePlan), "A page of plans"), ...authErrors() },
});

export const accept = createRoute({
  operationId: "acceptRoutePlan",
  method: "post",
  path: "/v1/admin/route-plans/{id}/accept",
  tags: ["Operations"],
  summary: "Accept a ready plan: all its moves at once through the cell",
  description:
    "409 `PLAN_STALE` (the plan becomes `stale`, nothing changed) when the cell's day changed since the plan was built; otherwise the moves are applied as one multi-move (all or nothing; 409 `MOVE_REFUSED` names the failing move and the plan stays `ready`). Repeating an accepted plan answers it again; of parallel accepts exactly one applies (the others: 409 `CONCURRENT_UPDATE`). 409 `PLAN_NOT_READY` for a plan still queued, discarded or failed.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: IdParam("id", "rpl_01J0000000000000000000000"),
    query: z.object({
      withProposals: z.enum(["true", "false"]).optional().openapi({
        description:
          "`true`: apply the plan's time proposals in the same multi-move (staff confirm the customers agreed; each customer whose time changes is told the new time). Default `false`: the moves only.",
      }),
    }),
  },
  responses: { 200: jsonContent(RoutePlan, "Accepted"), ...authErrors(404, 409) },
});

export const discard = createRoute({
  operationId: "discardRoutePlan",
  method: "post",
  path: "/v1/admin/route-plans/{id}/discard",
  tags: ["Operations"],
  summary: "Discard a plan not yet accepted (repeats answer the discarded plan)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: IdParam("id", "rpl_01J0000000000000000000000") },
  responses: { 200: jsonContent(RoutePlan, "Discarded"), ...authErrors(404, 409) },
});
