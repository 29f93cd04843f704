import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, IdParam, jsonBody, jsonContent, LocalizedSchema } from "../http/openapi";
import { MAX_MOVES } from "./moves.service";

const staff = requireRole("operator", "admin", "merchant_admin");

const CellId = z.string().min(1).max(32).openapi({ description: "The H3 cell (technicians' home cell)", example: "8631aa8a7ffffff" });
const Instant = z.iso.datetime({ offset: true });
const Area = z.object({ lat: z.number(), lng: z.number() }).openapi({ description: "The customer's area (~1 km), never the address" });

const Job = z.object({
  orderId: z.string(),
  service: LocalizedSchema,
  area: Area,
  start: z.string(),
  end: z.string(),
  status: z.string(),
});

export const board = createRoute({
  operationId: "getDispatchBoard",
  method: "get",
  path: "/v1/admin/board",
  tags: ["Operations"],
  summary: "The dispatcher's board: technicians × time of one cell and day",
  description:
    "Every technician homed in the cell (a merchant_admin: its own), with the day's shift windows, jobs as blocks (service, customer area only, start, end, status), the travel gap each job needs after the previous one (minutes of the travel model) against the time there is, late risks (a gap that does not fit; `runningLate`: the next job a technician on duty cannot reach in time from where they are), and the jobs of the cell waiting for a technician. `date` is the local date in the city's time zone.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      cellId: CellId,
      date: z.iso.date().openapi({ description: "Local date (YYYY-MM-DD)" }),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        cellId: z.string(),
        date: z.string(),
        timeZone: z.string(),
        from: z.string(),
        to: z.string(),
        technicians: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            merchantId: z.string().nullable(),
            status: z.string(),
            online: z.boolean(),
            lastSeenAt: z.string().nullable(),
            shifts: z.array(z.object({ start: z.string(), end: z.string() })),
            jobs: z.array(Job.extend({ risk: z.boolean() })),
            gaps: z.array(
              z.object({
                fromOrderId: z.string(),
                toOrderId: z.string(),
                minutes: z.number().int(),
                availableMinutes: z.number().int(),
                risk: z.boolean(),
              }),
            ),
            runningLate: z.string().nullable(),
          }),
        ),
        unassigned: z.array(Job.extend({ exception: z.string().nullable() })),
      }),
      "The board",
    ),
    ...authErrors(),
  },
});

export const moves = createRoute({
  operationId: "applyCellMoves",
  method: "post",
  path: "/v1/admin/cells/{cellId}/moves",
  tags: ["Operations"],
  summary: "Move several orders at once, all or nothing",
  description:
    "Each move gives an order to a technician homed in the cell at a new start (`end` keeps the order's duration). The cell checks them together with every moved job taken out first (so swaps and chains fit): shifts, clashes with travel gaps, skills. All are applied or none: 409 `MOVE_REFUSED` names the failing move in `failure` (`index`, `orderId`, `technicianId`, `reason`, `clashWith`, `message` in zh-CN and en). An order given to another technician is offered to them (`assigned`); the customer hears of a new time, the technician of a new job. A merchant_admin moves only its merchant's orders and technicians (404 otherwise). 409 `CONCURRENT_UPDATE` when an order changed meanwhile.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    params: IdParam("cellId", "8631aa8a7ffffff"),
    body: jsonBody(
      z
        .object({
          moves: z
            .array(
              z
                .object({ orderId: z.string().min(1).max(64), technicianId: z.string().min(1).max(64), start: Instant, end: Instant })
                .strict(),
            )
            .min(1)
            .max(MAX_MOVES),
        })
        .strict(),
    ),
  },
  responses: {
    200: jsonContent(
      z.object({
        moveId: z.string(),
        orders: z.array(
          z.object({ id: z.string(), status: z.string(), technicianId: z.string().nullable(), start: z.string(), end: z.string() }),
        ),
      }),
      "Applied",
    ),
    ...authErrors(404, 409, 413, 415),
  },
});
