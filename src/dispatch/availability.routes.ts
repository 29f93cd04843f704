import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonContent } from "../http/openapi";
import { MAX_WINDOW_MINUTES } from "../domain/time-window";

export const Availability = z
  .object({
    timeZone: z.string(),
    date: z.string(),
    serviceId: z.string(),
    durationMinutes: z.number().int(),
    slots: z.array(
      z.object({
        start: z.string().openapi({ example: "2026-11-25T10:00:00+08:00" }),
        end: z.string(),
        available: z.number().int().openapi({ description: "How many technicians could take it" }),
      }),
    ),
    windows: z
      .array(
        z.object({
          start: z.string().openapi({ example: "2026-11-25T09:00:00+08:00" }),
          end: z.string().openapi({ example: "2026-11-25T12:00:00+08:00" }),
          available: z.number().int().openapi({ description: "How many technicians have room for the job somewhere in it" }),
        }),
      )
      .optional()
      .openapi({
        description:
          "Only with `windowMinutes`: the windows of that length, starting on the slot grid, that have room for the job (docs/flexible-windows.md). Each can be quoted as `window` and booked as long as nothing changed meanwhile.",
      }),
  })
  .openapi("Availability");

export const getAvailability = createRoute({
  operationId: "getAvailability",
  method: "get",
  path: "/v1/availability",
  tags: ["Booking"],
  summary: "Free start times for a service at a place on a local date",
  description:
    "Start times on the slot grid (SLOT_GRID_MINUTES, local wall-clock time of the point's city) at which at least one qualified technician homed in the point's cell or its ring can do the whole job plus travel from and to neighbouring jobs. Respects the service's lead time and booking horizon; past times are never offered. 404 SERVICE_NOT_OFFERED when the service is not offered where the point is.",
  request: {
    query: z.object({
      serviceId: z.string().min(1).max(64),
      lat: z.coerce.number().min(-90).max(90),
      lng: z.coerce.number().min(-180).max(180),
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD"),
      technicianId: z.string().min(1).max(64).optional(),
      units: z.coerce.number().int().min(1).max(100).optional(),
      windowMinutes: z.coerce.number().int().min(1).max(MAX_WINDOW_MINUTES).optional().openapi({
        description:
          "Also list `windows`: flexible windows of this many minutes (at least the job's duration, else 400 INVALID_WINDOW; at most 480) starting on the slot grid, inside the lead time and horizon, in which a technician has room for the job at some start (shifts, other jobs and travel gaps, as a window booking searches)",
      }),
    }),
  },
  responses: { 200: jsonContent(Availability, "Slots"), ...errorResponses(404) },
});
