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

const Row = z.object({
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
});

export const board = createRoute({
  operationId: "getDispatchBoard",
  method: "get",
  path: "/v1/admin/board",
  tags: ["Operations"],
  summary: "The dispatcher's board: technicians × time of one cell and day",
  description:
    "Every technician homed in the cell (a merchant_admin: its own), with the day's shift windows, jobs as blocks (service, customer area only, start, end, status), the travel gap each job needs after the previous one (minutes of the travel model) against the time there is, late risks (a gap that does not fit; `runningLate`: the next job a technician on duty cannot reach in time from where they are), and the jobs of the cell waiting for a technician. `date` is the local date in the city's time zone. With `neighbours=true`, `neighbours` lists the technicians homed in the six neighbouring cells (rows of their own cells' calendars, with `homeCell`): a job may be moved onto them.",
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: z.object({
      cellId: CellId,
      date: z.iso.date().openapi({ description: "Local date (YYYY-MM-DD)" }),
      neighbours: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "`true`: also the technicians homed in the six neighbouring cells (`neighbours`), to move jobs to them" }),
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
        technicians: z.array(Row),
        unassigned: z.array(Job.extend({ exception: z.string().nullable() })),
        neighbours: z
          .array(Row.extend({ homeCell: z.string() }))
          .optional()
          .openapi({ description: "With `neighbours=true`: technicians of the neighbouring cells (at most 60), each with its home cell" }),
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
    "Each move gives an order to a technician at a new start (`end` keeps the order's duration); the technician may be homed in another cell, and the order's calendar entry may be in another cell (at most 7 cells in one request). Each cell checks its part with every moved job taken out first (so swaps and chains fit): shifts, clashes with travel gaps, skills. All are applied or none, across cells too: 409 `MOVE_REFUSED` names the failing move in `failure` (`index`, `orderId`, `technicianId`, `reason`, `clashWith`, `message` in zh-CN and en). An order given to another technician is offered to them (`assigned`); the customer hears of a new time, the technician of a new job. A merchant_admin moves only its merchant's orders and technicians (404 otherwise). 409 `CONCURRENT_UPDATE` when an order changed meanwhile.",
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

export const stuckMoves = createRoute({
  operationId: "listStuckCellMoves",
  method: "get",
  path: "/v1/admin/cells/{cellId}/stuck-moves",
  tags: ["Operations"],
  summary: "Multi-moves touching the cell that the repair cannot settle",
  description:
    "A multi-move that died half-way is settled by the every-minute repair; one whose cells cannot agree with D1 (a clash) stays and is retried. Listed here once it has failed `MOVE_STUCK_NOTICE_ATTEMPTS` runs (the operators are told then, once), until it settles: the cells, the orders (ids only), the failed runs and since when. Operators and admins.",
  security: bearer,
  middleware: [requireRole("operator", "admin")] as const,
  request: { params: IdParam("cellId", "8631aa8a7ffffff") },
  responses: {
    200: jsonContent(
      z
        .object({
          cellId: z.string(),
          items: z.array(
            z.object({
              moveId: z.string(),
              cell: z.string().openapi({ description: "The cell the move was asked of" }),
              cells: z.array(z.string()),
              orderIds: z.array(z.string()),
              attempts: z.number().int().openapi({ description: "Repair runs that failed to settle it" }),
              since: z.string().openapi({ description: "When the move started (UTC)" }),
              text: LocalizedSchema,
            }),
          ),
        })
        .openapi("StuckCellMoves"),
      "The stuck moves",
    ),
    ...authErrors(),
  },
});
