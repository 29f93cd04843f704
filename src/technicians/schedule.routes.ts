import { createRoute, z } from "@hono/zod-openapi";
import { WEEKDAYS } from "../domain/shifts";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent } from "../http/openapi";

const HhMm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, "HH:MM");
const Interval = z.object({ start: HhMm.openapi({ example: "08:00" }), end: HhMm.openapi({ example: "20:00" }) }).strict();
const Day = z.array(Interval).max(8);
export const Weekly = z
  .object(Object.fromEntries(WEEKDAYS.map((d) => [d, Day.default([])])) as Record<(typeof WEEKDAYS)[number], z.ZodDefault<typeof Day>>)
  .strict()
  .openapi("WeeklyShifts", { description: "Working intervals per weekday in the home city's local time; a missing day is a day off" });
const Exception = z
  .object({
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD"),
    intervals: Day.openapi({ description: "That day's hours; empty = leave" }),
  })
  .strict()
  .openapi("ShiftException");

export const PutShifts = z
  .object({
    weekly: Weekly.nullable().openapi({ description: "null returns to the merchant's (else the platform's) default" }),
    exceptions: z.array(Exception).max(366).default([]),
  })
  .strict()
  .openapi("PutShifts");

export const Shifts = z
  .object({ technicianId: z.string(), timeZone: z.string(), isDefault: z.boolean(), weekly: Weekly, exceptions: z.array(Exception) })
  .openapi("Shifts");

export const Schedule = z
  .object({
    technicianId: z.string(),
    timeZone: z.string(),
    items: z.array(
      z.object({
        orderId: z.string().openapi({ description: "The order that holds the interval", example: "ord_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
        dispatchRound: z.number().int().nullable().openapi({
          description:
            "The order's dispatch round the interval was held for (each round holds apart); null for an interval not held by dispatch",
        }),
        start: z.string(),
        end: z.string(),
        state: z.enum(["held", "booked"]),
        expiresAt: z.string().nullable(),
      }),
    ),
  })
  .openapi("Schedule");

const TechId = IdParam("id", "tec_01JD3Q8Z6X9V4M2K7T5R1N0PAB");
const admins = requireRole("operator", "admin", "merchant_admin");

export const getOwnShifts = createRoute({
  operationId: "getOwnShifts",
  method: "get",
  path: "/v1/technician/shifts",
  tags: ["Technicians"],
  summary: "My weekly shifts and dated exceptions",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  responses: { 200: jsonContent(Shifts, "Shifts"), ...authErrors(404) },
});

export const putOwnShifts = createRoute({
  operationId: "putOwnShifts",
  method: "put",
  path: "/v1/technician/shifts",
  tags: ["Technicians"],
  summary: "Replace my weekly shifts and exceptions",
  description:
    "Existing bookings stay; only new bookings see the change. Times are the home city's local time, correct across daylight-saving changes.",
  security: bearer,
  middleware: [requireRole("technician")] as const,
  request: { body: jsonBody(PutShifts) },
  responses: { 200: jsonContent(Shifts, "Shifts"), ...authErrors(404, 409, 413, 415) },
});

export const getTechShifts = createRoute({
  operationId: "getTechnicianShifts",
  method: "get",
  path: "/v1/admin/technicians/{id}/shifts",
  tags: ["Technicians"],
  summary: "A technician's shifts (operators, or the technician's merchant)",
  security: bearer,
  middleware: [admins] as const,
  request: { params: TechId },
  responses: { 200: jsonContent(Shifts, "Shifts"), ...authErrors(404) },
});

export const putTechShifts = createRoute({
  operationId: "putTechnicianShifts",
  method: "put",
  path: "/v1/admin/technicians/{id}/shifts",
  tags: ["Technicians"],
  summary: "Replace a technician's shifts (operators, or the technician's merchant)",
  security: bearer,
  middleware: [admins] as const,
  request: { params: TechId, body: jsonBody(PutShifts) },
  responses: { 200: jsonContent(Shifts, "Shifts"), ...authErrors(404, 409, 413, 415) },
});

export const getSchedule = createRoute({
  operationId: "getTechnicianSchedule",
  method: "get",
  path: "/v1/admin/technicians/{id}/schedule",
  tags: ["Technicians"],
  summary: "A technician's holds and bookings, read from the owner cell",
  description:
    "The audit view of one calendar. `from`/`to` are ISO 8601 instants (default: from yesterday, 15 days); at most 62 days. Each item names the order that holds the interval (`orderId`, a real order id) and the dispatch round it was held for (`dispatchRound`).",
  security: bearer,
  middleware: [admins] as const,
  request: {
    params: TechId,
    query: z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }),
  },
  responses: { 200: jsonContent(Schedule, "Schedule"), ...authErrors(404) },
});

export const MoveHome = z
  .object({
    home: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }).strict(),
    serviceRadiusKm: z.number().positive().max(100).optional(),
  })
  .strict()
  .openapi("MoveHome");

export const moveHome = createRoute({
  operationId: "moveTechnicianHome",
  method: "post",
  path: "/v1/admin/technicians/{id}/move",
  tags: ["Technicians"],
  summary: "Move a technician's home (and calendar) to a new place",
  description:
    "When the new home lies in another H3 cell, the calendar moves between the two cells with no moment where both accept bookings and no booking lost; bookings made meanwhile get 409 TECHNICIAN_MOVING (retry). Safe to repeat.",
  security: bearer,
  middleware: [admins] as const,
  request: { params: TechId, body: jsonBody(MoveHome) },
  responses: {
    200: jsonContent(
      z.object({
        technicianId: z.string(),
        homeCell: z.string(),
        cityId: z.string(),
        home: z.object({ lat: z.number(), lng: z.number() }),
        serviceRadiusKm: z.number(),
        moved: z.boolean(),
      }),
      "Moved",
    ),
    ...authErrors(404, 409, 413, 415),
  },
});
