/**
 * Benchmark routes, mounted only by the benchmark Worker (bench/worker.ts), never by the production
 * Worker, and hidden from the OpenAPI document.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../../src/http/auth";
import { authErrors, bearer, jsonBody, jsonContent } from "../../src/http/openapi";

const admin = requireRole("admin");

const CellParam = z.object({
  cell: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .openapi({ param: { name: "cell", in: "path" } }),
});

const base = { tags: ["Benchmarks"], security: bearer, hide: true };

export const noop = createRoute({
  ...base,
  method: "get",
  path: "/v1/bench/noop",
  summary: "Does nothing after the full middleware stack (the ceiling of a route)",
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(z.object({ ok: z.literal(true) }), "Nothing done"), ...authErrors() },
});

export const ping = createRoute({
  ...base,
  method: "get",
  path: "/v1/bench/cells/{cell}/ping",
  summary: "One Worker → CellDO RPC that does nothing in the object (the ceiling of a cell call)",
  middleware: [requireAuth] as const,
  request: { params: CellParam },
  responses: { 200: jsonContent(z.object({ cell: z.string(), at: z.string() }), "Pinged"), ...authErrors() },
});

export const naiveOrder = createRoute({
  ...base,
  method: "post",
  path: "/v1/bench/naive-orders",
  summary: "Books a quoted job with a D1 check-then-insert and no cell (racy on purpose)",
  middleware: [requireAuth] as const,
  request: {
    body: jsonBody(
      z
        .object({
          quoteId: z.string().min(1).max(4096),
          addressId: z.string().min(1).max(64),
          start: z.iso.datetime({ offset: true }),
          technicianId: z.string().min(1).max(64),
        })
        .strict(),
    ),
  },
  responses: {
    201: jsonContent(z.object({ id: z.string(), technicianId: z.string(), start: z.string(), end: z.string() }), "Booked"),
    ...authErrors(404, 409, 413, 415),
  },
});

export const naiveAudit = createRoute({
  ...base,
  method: "get",
  path: "/v1/bench/naive-orders/audit",
  summary: "How many orders the naive path wrote and how many pairs of them overlap",
  middleware: [admin] as const,
  responses: {
    200: jsonContent(z.object({ orders: z.number(), technicians: z.number(), overlappingPairs: z.number() }), "Audit"),
    ...authErrors(),
  },
});

export const fill = createRoute({
  ...base,
  method: "post",
  path: "/v1/bench/cells/{cell}/bookings",
  summary: "Books many intervals straight into one cell (bench set-up)",
  middleware: [admin] as const,
  request: {
    params: CellParam,
    body: jsonBody(
      z
        .object({
          items: z
            .array(
              z
                .object({
                  technicianId: z.string().min(1).max(64),
                  start: z.number().int(),
                  end: z.number().int(),
                  lat: z.number().min(-90).max(90),
                  lng: z.number().min(-180).max(180),
                })
                .strict(),
            )
            .max(1000),
        })
        .strict(),
    ),
  },
  responses: {
    200: jsonContent(z.object({ cell: z.string(), booked: z.number(), refused: z.number() }), "Filled"),
    ...authErrors(413, 415),
  },
});

export const presence = createRoute({
  ...base,
  method: "get",
  path: "/v1/bench/cells/{cell}/presence",
  summary: "Every technician's last heartbeat as the cell sees it",
  middleware: [admin] as const,
  request: { params: CellParam },
  responses: {
    200: jsonContent(
      z.object({
        cell: z.string(),
        now: z.number(),
        items: z.array(z.object({ technicianId: z.string(), online: z.boolean(), lastSeenAt: z.number().nullable() })),
      }),
      "Presence",
    ),
    ...authErrors(),
  },
});

const Counts = z.object({
  invocations: z.number(),
  messages: z.number(),
  d1RoundTrips: z.number(),
  d1Statements: z.number(),
  drainStatements: z.number(),
  cellCalls: z.record(z.string(), z.number()),
  queueSends: z.number(),
  statements: z.record(z.string(), z.number()),
});

export const counters = createRoute({
  ...base,
  method: "get",
  path: "/v1/bench/counters",
  summary: "D1 statements, cell calls and queue sends of this isolate since the last reset, per route, queue and cron",
  middleware: [admin] as const,
  responses: {
    200: jsonContent(z.object({ since: z.number(), now: z.number(), sources: z.record(z.string(), Counts) }), "Counts"),
    ...authErrors(),
  },
});

export const resetCounters = createRoute({
  ...base,
  method: "delete",
  path: "/v1/bench/counters",
  summary: "Starts counting afresh",
  middleware: [admin] as const,
  responses: { 200: jsonContent(z.object({ since: z.number() }), "Reset"), ...authErrors() },
});
