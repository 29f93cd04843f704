import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, createRouter, jsonContent } from "../http/openapi";
import { alertsSince } from "./alerts.service";
import { cityMetrics } from "./metrics.service";

const platform = requireRole("operator", "admin");

const Hour = z
  .object({
    hour: z.string().openapi({ description: "Start of the hour (UTC, ISO 8601)" }),
    bookings: z.number().int(),
    dispatch: z.record(z.string(), z.number().int()).openapi({ description: "Dispatch decisions of the hour by outcome (reason)" }),
    webhookFailures: z.number().int(),
    queueLagMsAvg: z.number().int().nullable(),
    queueLagMsMax: z.number().int().nullable(),
    exceptionQueue: z.number().int().nullable(),
    exceptionQueueMax: z.number().int().nullable(),
  })
  .openapi("MetricsHour");

const Alert = z
  .object({
    key: z.string(),
    kind: z.string(),
    cityId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    occurrences: z.number().int(),
    suppressed: z.number().int().openapi({ description: "Repeats held back by the de-duplication since the last send" }),
    firstAt: z.string(),
    lastAt: z.string(),
    sentAt: z.string(),
  })
  .openapi("Alert");

const metrics = createRoute({
  operationId: "getOperationsMetrics",
  method: "get",
  path: "/v1/admin/metrics",
  tags: ["Operations"],
  summary: "A city's operating metrics per hour, and recent alerts",
  description:
    "Bookings and dispatch outcomes (counted from the orders and dispatch decisions), payment webhook failures and queue lag (all cities), and the city's exception queue (measured every minute by the cron), per hour of the last `hours` (default 24, at most 168); with the exception queue now and the alerts of the period. The same points go to Workers Analytics Engine (dataset `doorstep_metrics`) for Cloudflare's SQL API.",
  security: bearer,
  middleware: [platform] as const,
  request: {
    query: z.object({
      cityId: z.string().min(1).max(64).openapi({ example: "cty_demoShanghai" }),
      hours: z.coerce.number().int().min(1).max(168).default(24),
    }),
  },
  responses: {
    200: jsonContent(
      z
        .object({ cityId: z.string(), hours: z.array(Hour), exceptionQueueNow: z.number().int(), alerts: z.array(Alert) })
        .openapi("CityMetrics"),
      "Metrics",
    ),
    ...authErrors(404),
  },
});

export default createRouter().openapi(metrics, async (c) => {
  const q = c.req.valid("query");
  const now = Date.now();
  const [m, alerts] = await Promise.all([cityMetrics(c.env, q.cityId, q.hours, now), alertsSince(c.env, now - q.hours * 3_600_000)]);
  return c.json({ ...m, alerts: alerts.filter((a) => a.cityId === null || a.cityId === q.cityId) }, 200);
});
