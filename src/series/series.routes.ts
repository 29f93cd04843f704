import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { WEEKDAYS } from "../domain/shifts";

const TAGS = ["Recurring visits"];

const Day = z.enum(WEEKDAYS);
const DateText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .openapi({ example: "2026-12-07", description: "A local date in the city's zone (YYYY-MM-DD)" });
const Interval = (max: number) => z.number().int().min(1).max(max).default(1);

export const Rule = z
  .union([
    z.object({ freq: z.literal("weekly"), interval: Interval(52), byDay: z.array(Day).min(1).max(7) }).strict(),
    z.object({ freq: z.literal("monthly"), interval: Interval(12), byMonthDay: z.number().int().min(1).max(31) }).strict(),
    z
      .object({
        freq: z.literal("monthly"),
        interval: Interval(12),
        byWeekday: z.object({ day: Day, nth: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(-1)]) }).strict(),
      })
      .strict(),
  ])
  .openapi("SeriesRule", {
    description:
      "An RRULE subset: weekly on `byDay` every `interval` weeks (weeks start on Monday); monthly on day `byMonthDay` every `interval` months (a month without that day has no visit); monthly on the `nth` (1–4, or -1 for the last) `day` of the month.",
    example: { freq: "weekly", interval: 1, byDay: ["mon", "thu"] },
  });

const Localized = z.object({ zh: z.string(), en: z.string() });

const Visit = z
  .object({
    id: z.string(),
    date: z.string().openapi({ description: "The rule's local date; stays the visit's key when it is moved" }),
    n: z.number().int().openapi({ description: "Ordinal in the series (1 = first)" }),
    start: z.string().openapi({ description: "Start in the city's zone (ISO 8601 with offset)" }),
    status: z.enum(["booking", "booked", "unbookable", "skipped", "cancelled"]),
    statusText: Localized,
    orderId: z.string().nullable(),
    technicianId: z.string().nullable(),
    movedFrom: z.string().nullable(),
    problem: z.string().nullable().openapi({ description: "Why it could not be booked (an error code)" }),
    problemText: Localized.nullable(),
    alternatives: z.array(z.object({ technicianId: z.string(), start: z.string() })).openapi({
      description:
        "For an unbookable visit: another technician at the same time first, then the nearest free starts; take one with the reschedule call",
    }),
  })
  .openapi("SeriesVisit");

export const Series = z
  .object({
    id: z.string(),
    customerId: z.string(),
    serviceId: z.string(),
    addressId: z.string(),
    status: z.enum(["active", "paused", "ended"]),
    statusText: Localized,
    timeZone: z.string(),
    timeOfDay: z.string().openapi({ example: "09:00" }),
    rule: Rule,
    rrule: z.string().openapi({ example: "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,TH;COUNT=10" }),
    startDate: z.string(),
    untilDate: z.string().nullable(),
    count: z.number().int().nullable(),
    units: z.number().int(),
    preferredTechnicianId: z.string().nullable(),
    packageId: z.string().nullable().openapi({ description: "The package each visit draws from while it has visits" }),
    contact: z.object({ name: z.string().nullable() }).nullable(),
    notes: z.string().nullable(),
    previousSeriesId: z.string().nullable(),
    createdAt: z.string(),
    visits: z.array(Visit),
  })
  .openapi("Series");

const Hhmm = z
  .string()
  .regex(/^\d{2}:\d{2}$/)
  .openapi({ example: "09:00", description: "Wall-clock time in the city's zone" });
const SeriesParam = IdParam("id", "ser_01J0000000000000000000000");
const VisitParam = SeriesParam.extend({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .openapi({ param: { name: "date", in: "path" }, example: "2026-12-07" }),
});
const Reason = z.string().trim().min(1).max(500);
const FromBody = z.object({ from: DateText.optional(), reason: Reason.optional() }).strict();

const CreateBody = z
  .object({
    customerId: z.string().min(1).max(64).optional().openapi({ description: "Staff only: the customer the series is for" }),
    serviceId: z.string().min(1).max(64),
    addressId: z.string().min(1).max(64),
    timeOfDay: Hhmm,
    rule: Rule,
    startDate: DateText,
    untilDate: DateText.nullable().optional(),
    count: z.number().int().min(1).max(500).nullable().optional(),
    units: z.number().int().min(1).max(100).optional(),
    preferredTechnicianId: z.string().min(1).max(64).nullable().optional(),
    packageId: z.string().min(1).max(64).nullable().optional().openapi({
      description:
        "The customer's active package (次卡) of the service: each visit draws one when booked; once it has none left, visits are paid per visit and the customer is told",
    }),
    contact: z
      .object({ name: z.string().trim().min(1).max(50), phone: z.string().min(1).max(32) })
      .strict()
      .nullable()
      .optional()
      .openapi({ description: "A second contact (e.g. the family member) who gets the series' notices too" }),
    notes: z.string().max(500).nullable().optional(),
  })
  .strict();

const created = { 201: jsonContent(Series, "The series with its visits in the horizon") };
const ok = (what: string) => ({ 200: jsonContent(Series, what) });

export const createSeries = createRoute({
  operationId: "createSeries",
  method: "post",
  path: "/v1/series",
  tags: TAGS,
  summary: "Create a recurring series; its visits within the horizon are booked at once",
  description:
    "Each visit is an order booked through the owner cell like any booking, paid after the service (400 SERIES_PAYMENT_PLAN when the service does not offer that), with the preferred technician where free and otherwise whoever the service's dispatch picks. Visits are booked SERIES_HORIZON_DAYS ahead (within the service's own horizon and lead time), the rest by the cron as they come into the horizon. A visit nobody can take is `unbookable` with `alternatives`; the customer and the second contact are told, staff see it in the list. The time stays on the wall clock in the city's zone across daylight saving. Staff (operators; a merchant_admin for its services) may create one for a customer with `customerId`.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(CreateBody) },
  responses: { ...created, ...authErrors(404, 409, 413, 415) },
});

export const listSeries = createRoute({
  operationId: "listSeries",
  method: "get",
  path: "/v1/series",
  tags: TAGS,
  summary: "Series with their visits: a customer's own; staff: those in their scope (mine=true: their own)",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { query: z.object({ limit: LimitQuery, mine: z.enum(["true", "false"]).optional() }) },
  responses: { 200: jsonContent(z.object({ items: z.array(Series) }), "Series"), ...authErrors() },
});

export const getSeries = createRoute({
  operationId: "getSeries",
  method: "get",
  path: "/v1/series/{id}",
  tags: TAGS,
  summary: "One series with its visits",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: SeriesParam },
  responses: { ...ok("Series"), ...authErrors(404) },
});

export const skipSeriesVisit = createRoute({
  operationId: "skipSeriesVisit",
  method: "post",
  path: "/v1/series/{id}/visits/{date}/skip",
  tags: TAGS,
  summary: "Skip the visit of one date (its order is cancelled under the cancellation policy)",
  description:
    "A date not booked yet is marked skipped and never booked. 400 when the date is not a visit date of the series; 409 OCCURRENCE_NOT_CHANGEABLE when the visit is being booked, was skipped or cancelled, or has started.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: VisitParam, body: jsonBody(z.object({ reason: Reason.optional() }).strict()) },
  responses: { ...ok("Skipped"), ...authErrors(404, 409, 413, 415) },
});

export const rescheduleSeriesVisit = createRoute({
  operationId: "rescheduleSeriesVisit",
  method: "post",
  path: "/v1/series/{id}/visits/{date}/reschedule",
  tags: TAGS,
  summary: "Move one visit to another start, or book an unbookable one at an alternative",
  description:
    "A booked visit moves with its technician through the order's reschedule (atomic in the cell; a new price answers 409 PRICE_CHANGED with a `quoteId` to confirm). An unbookable visit is booked at `start` with `technicianId` (one of its alternatives) or whoever dispatch picks; 409 SLOT_UNAVAILABLE when that fails too. Never onto another visit of the same series (400).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: VisitParam,
    body: jsonBody(
      z
        .object({
          start: z.iso.datetime({ offset: true }),
          technicianId: z.string().min(1).max(64).optional(),
          quoteId: z.string().min(1).max(8192).optional(),
        })
        .strict(),
    ),
  },
  responses: { ...ok("Moved"), ...authErrors(404, 409, 413, 415) },
});

export const pauseSeries = createRoute({
  operationId: "pauseSeries",
  method: "post",
  path: "/v1/series/{id}/pause",
  tags: TAGS,
  summary: "Pause a series from a date (default today): its booked visits from then are cancelled under the policy",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: SeriesParam, body: jsonBody(FromBody) },
  responses: { ...ok("Paused"), ...authErrors(404, 409, 413, 415) },
});

export const resumeSeries = createRoute({
  operationId: "resumeSeries",
  method: "post",
  path: "/v1/series/{id}/resume",
  tags: TAGS,
  summary: "Resume a paused series: visits from today on are booked again within the horizon",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: SeriesParam, body: jsonBody(z.object({}).strict()) },
  responses: { ...ok("Resumed"), ...authErrors(404, 409, 413, 415) },
});

export const changeSeries = createRoute({
  operationId: "changeSeries",
  method: "post",
  path: "/v1/series/{id}/change",
  tags: TAGS,
  summary: "Change a series from a date onwards (time, rule, technician, units, end)",
  description:
    'RRULE\'s "this and following": the series ends the day before `from` and its visits from then are cancelled under the policy; a new series with the changes continues from `from` (`previousSeriesId` names the old one) and books its visits. With a count, the new series has the visits the old one had left unless `count` is given.',
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: SeriesParam,
    body: jsonBody(
      z
        .object({
          from: DateText,
          timeOfDay: Hhmm.optional(),
          rule: Rule.optional(),
          untilDate: DateText.nullable().optional(),
          count: z.number().int().min(1).max(500).nullable().optional(),
          units: z.number().int().min(1).max(100).optional(),
          preferredTechnicianId: z.string().min(1).max(64).nullable().optional(),
        })
        .strict(),
    ),
  },
  responses: { 201: jsonContent(Series, "The new series continuing from the date"), ...authErrors(404, 409, 413, 415) },
});

export const cancelSeries = createRoute({
  operationId: "cancelSeries",
  method: "post",
  path: "/v1/series/{id}/cancel",
  tags: TAGS,
  summary: "Cancel the rest of a series from a date (default today), each visit under the cancellation policy",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: SeriesParam, body: jsonBody(FromBody) },
  responses: { ...ok("Cancelled from the date"), ...authErrors(404, 409, 413, 415) },
});

const UnbookableVisit = z
  .object({
    id: z.string(),
    seriesId: z.string(),
    customerId: z.string(),
    serviceId: z.string(),
    cityId: z.string(),
    merchantId: z.string().nullable(),
    date: z.string().openapi({ description: "The rule's local date: the `date` of the reschedule call" }),
    start: z.string().openapi({ description: "Start in the city's zone (ISO 8601 with offset)" }),
    timeZone: z.string(),
    problem: z.string().nullable().openapi({ description: "Why it could not be booked (an error code)" }),
    problemText: Localized.nullable(),
    alternatives: z.array(z.object({ technicianId: z.string(), start: z.string() })),
  })
  .openapi("UnbookableSeriesVisit");

export const listUnbookableVisits = createRoute({
  operationId: "listUnbookableSeriesVisits",
  method: "get",
  path: "/v1/admin/series/unbookable",
  tags: TAGS,
  summary: "Visits of series that could not be booked and are still ahead, with their alternatives",
  description:
    "Operators: every one, optionally of one city or merchant; a merchant_admin: its merchant's only (403 for another merchant). Book an alternative with POST /v1/series/{seriesId}/visits/{date}/reschedule (`start`, `technicianId`); a booked visit leaves this list.",
  security: bearer,
  middleware: [requireRole("operator", "admin", "merchant_admin")] as const,
  request: {
    query: z.object({
      cityId: z.string().max(100).optional(),
      merchantId: z.string().max(100).optional(),
      cursor: CursorQuery,
      limit: LimitQuery,
    }),
  },
  responses: { 200: jsonContent(page(UnbookableVisit), "Unbookable visits"), ...authErrors(403) },
});
