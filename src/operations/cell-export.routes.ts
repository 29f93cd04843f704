import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer } from "../http/openapi";

const When = z
  .object({
    utc: z.string().nullable(),
    local: z.string().nullable().openapi({ description: "The same instant in the city's zone, with its offset" }),
  })
  .openapi("ZonedTime");

const CellExport = z
  .object({
    cell: z.string(),
    cityId: z.string(),
    timeZone: z.string(),
    from: When,
    to: When,
    exportedAt: When,
    technicians: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        merchantId: z.string().nullable(),
        state: z.string().openapi({ description: "active, frozen (moving out), incoming (moving in) or moved" }),
        movedTo: z.string().nullable(),
      }),
    ),
    intervals: z.array(
      z.object({
        orderId: z.string(),
        holdKey: z.string().openapi({ description: "The cell's key of the interval: the order id, or `<order id>:<dispatch round>`" }),
        technicianId: z.string(),
        state: z.enum(["held", "booked"]),
        start: When,
        end: When,
        expiresAt: When.openapi({ description: "A hold's expiry (null for a booking)" }),
      }),
    ),
    presence: z.array(
      z.object({
        technicianId: z.string(),
        online: z.boolean(),
        lat: z.number().nullable(),
        lng: z.number().nullable(),
        accuracy: z.number().nullable(),
        heading: z.number().nullable(),
        battery: z.number().nullable(),
        lastSeen: When,
      }),
    ),
  })
  .openapi("CellExport");

const instant = z.iso.datetime({ offset: true }).optional();

export const cellExport = createRoute({
  operationId: "exportCell",
  method: "get",
  path: "/v1/admin/cells/{cell}/export",
  tags: ["Operations"],
  summary: "Export a city cell's calendar and live presence as JSON or CSV (operators, audited)",
  description:
    "Read from the cell's Durable Object: the technicians it holds, their live holds and bookings overlapping [from, to) (default: from a day ago, 15 days; at most 31 days), and each technician's presence. Times in UTC and in the city's zone. Jobs' exact locations are not exported. `format=csv` gives one CSV (a line per interval and per presence; cells neutralised against formulas).",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: {
    params: z.object({
      cell: z
        .string()
        .regex(/^[0-9a-f]{15}$/, "expected an H3 cell index")
        .openapi({ param: { name: "cell", in: "path" }, example: "8531b0bbfffffff" }),
    }),
    query: z.object({
      format: z.enum(["json", "csv"]).default("json"),
      from: instant.openapi({ description: "Start of the window (ISO 8601)" }),
      to: instant.openapi({ description: "End of the window (ISO 8601)" }),
    }),
  },
  responses: {
    200: {
      description: "The cell's calendar and presence (JSON, or CSV with `format=csv`)",
      content: { "application/json": { schema: CellExport }, "text/csv": { schema: z.string() } },
    },
    ...authErrors(404),
  },
});
