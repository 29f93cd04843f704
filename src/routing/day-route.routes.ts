import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";

const LocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
  .openapi({ example: "2026-12-07", description: "A local date in the technician's home city (YYYY-MM-DD)" });
const Zoned = z.string().openapi({ description: "An instant in the technician's home city's zone (ISO 8601 with offset)" });
const LegFields = {
  travelMinutes: z.number().int().openapi({ description: "Driving minutes of the leg before this point (TRAVEL_SPEED_KMH, rounded up)" }),
  distanceKm: z.number().openapi({ description: "Road distance of that leg: straight line × TRAVEL_ROAD_FACTOR, km" }),
};

const Totals = z.object({ distanceKm: z.number(), travelMinutes: z.number().int(), lateRisks: z.number().int() });

export const DayRoute = z
  .object({
    technicianId: z.string(),
    date: z.string(),
    timeZone: z.string(),
    leaveHomeAt: Zoned.nullable().openapi({ description: "When to leave home for the first stop (null: no jobs)" }),
    stops: z.array(
      z.object({
        orderId: z.string(),
        serviceId: z.string(),
        status: z.string(),
        plannedStart: Zoned,
        plannedEnd: Zoned,
        window: z
          .object({ start: z.string(), end: z.string() })
          .nullable()
          .openapi({ description: "A flexible-window job: the window the customer accepted (docs/flexible-windows.md)" }),
        proposedStart: Zoned.nullable().openapi({
          description:
            "A flexible-window job the day plan would start at another time inside its window (see `proposal`; `POST /v1/technician/route/apply` makes it the booking); null otherwise",
        }),
        eta: Zoned.openapi({ description: "Arrival leaving the previous stop when it ends (the first: its start)" }),
        ...LegFields,
        lateRisk: z.boolean().openapi({ description: "The ETA is after the planned start" }),
        location: z.object({
          lat: z.number(),
          lng: z.number(),
          exact: z.boolean().openapi({ description: "false: the ~1 km area, until the order reveals its address" }),
        }),
        links: z.object({ amap: z.string(), baidu: z.string(), apple: z.string(), google: z.string() }).openapi({
          description:
            "Navigation hand-off: AMap in GCJ-02, Baidu in BD-09, Apple/Google in GCJ-02 inside mainland China, WGS-84 elsewhere",
        }),
      }),
    ),
    home: z
      .object({ eta: Zoned, ...LegFields })
      .nullable()
      .openapi({ description: "The leg back home after the last stop" }),
    totals: Totals,
    proposalStatus: z.enum(["none", "planning", "ready", "failed"]).openapi({
      description:
        "The day plan of the flexible-window jobs, built off the request and stored: `ready` (shown as `proposal`), `planning` (being built for the day as it is now; read again in a moment), `none` (nothing would move, or no flexible-window job), `failed` (the day could not be planned; a change of the day plans it again)",
    }),
    proposalStatusText: z.object({ en: z.string(), zh: z.string() }).openapi({ description: "`proposalStatus` as a person reads it" }),
    proposal: z
      .object({
        basis: z.string().openapi({
          description: "The day the proposal was read against: send it to `POST /v1/technician/route/apply` (a changed day is refused)",
        }),
        leaveHomeAt: Zoned.nullable(),
        stops: z.array(
          z.object({
            orderId: z.string(),
            plannedStart: Zoned,
            plannedEnd: Zoned,
            moved: z
              .boolean()
              .openapi({ description: "The proposal starts this job at another time than the calendar (inside its window)" }),
            eta: Zoned,
            ...LegFields,
            lateRisk: z.boolean(),
          }),
        ),
        home: z.object({ eta: Zoned, ...LegFields }).nullable(),
        totals: Totals,
        savedMinutes: z
          .number()
          .int()
          .openapi({ description: "Driving minutes the proposal saves: the calendar's route minus the proposal's" }),
      })
      .nullable()
      .openapi({
        description:
          "The day with its flexible-window jobs placed by the stored day plan inside their windows, ordered and timed as `stops` are; null when no job would move or no plan of the day as it is now is ready (`proposalStatus`). Reading never plans and changes no order (docs/routes.md)",
      }),
  })
  .openapi("DayRoute");

const DateQuery = z.object({ date: LocalDate });

export const getOwnRoute = createRoute({
  operationId: "getOwnDayRoute",
  method: "get",
  path: "/v1/technician/route",
  tags: ["Technicians"],
  summary: "My day as a route: the day's jobs in order from home back home, with legs, ETAs and map links",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  request: { query: DateQuery },
  responses: { 200: jsonContent(DayRoute, "Day route"), ...authErrors(404) },
});

export const applyOwnRoute = createRoute({
  operationId: "applyOwnDayRoute",
  method: "post",
  path: "/v1/technician/route/apply",
  tags: ["Technicians"],
  summary: "Applies my day route's proposal: my flexible-window jobs move to the proposed starts inside their windows",
  description:
    "Moves the technician's own flexible-window jobs of the day (not yet on the way) to the starts of the route's stored `proposal` (the plan read with `basis`; the day is not planned again), all or nothing, through the cell's calendar (shifts, clashes, travel gaps). Fixed-time jobs never move; each job stays inside its window. The customer is told the new time; the timeline says the job was re-planned within the booked window. Nothing to move: 200 with `moved: []` (applying twice is harmless). 409 ROUTE_CHANGED when the day changed since `basis` was read, 409 ROUTE_NOT_PLANNED when no plan of the day is ready, 409 MOVE_REFUSED when the cell refuses: nothing is changed then.",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  request: {
    body: jsonBody(
      z
        .object({
          date: LocalDate,
          basis: z.string().min(1).max(64).openapi({ description: "`proposal.basis` of the route read (GET /v1/technician/route)" }),
        })
        .strict(),
    ),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          moved: z.array(z.string()).openapi({ description: "The orders whose start moved (empty: nothing to apply)" }),
          route: DayRoute,
        })
        .openapi("AppliedDayRoute"),
      "Applied; the route as the calendar now holds it",
    ),
    ...authErrors(404, 409),
  },
});

export const getTechnicianRoute = createRoute({
  operationId: "getTechnicianDayRoute",
  method: "get",
  path: "/v1/admin/technicians/{id}/route",
  tags: ["Technicians"],
  summary: "A technician's day route (operators, or the technician's merchant)",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: { params: IdParam("id", "tec_01JD3Q8Z6X9V4M2K7T5R1N0PAB"), query: DateQuery },
  responses: { 200: jsonContent(DayRoute, "Day route"), ...authErrors(404) },
});
