import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");

export const ReportQuery = z.object({
  city: z.string().min(1).max(64).openapi({ description: "City id", example: "cty_demoShanghai" }),
  from: LocalDate.optional().openapi({ description: "First local date (default: 27 days before `to`)" }),
  to: LocalDate.optional().openapi({ description: "Last local date, inclusive (default: today in the city)" }),
  format: z.enum(["json", "csv"]).default("json").openapi({ description: "csv: the rows as a CSV download" }),
});

const Report = z
  .object({
    cityId: z.string(),
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
    totals: z.record(z.string(), z.number().nullable()).optional(),
  })
  .openapi("Report");

const answers = {
  200: {
    description: "The report (JSON, or CSV with `format=csv`)",
    content: { "application/json": { schema: Report }, "text/csv": { schema: z.string() } },
  },
  ...authErrors(404),
};

function report<E extends z.ZodRawShape = Record<never, never>>(path: string, summary: string, description: string, extra: E = {} as E) {
  // "/v1/admin/reports/orders-by-hour" → "getOrdersByHourReport".
  const name = path
    .split("/")
    .pop()!
    .replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
  return createRoute({
    operationId: `get${name}Report`,
    method: "get",
    path,
    tags: ["Reports"],
    summary,
    description: `${description} Over the visits' local start dates in the city; a merchant_admin's reports cover its own orders. 400 INVALID_RANGE for a reversed range or one over 366 days.`,
    security: bearer,
    middleware: [staff] as const,
    request: { query: ReportQuery.extend(extra) },
    responses: answers,
  });
}

export const ordersByHour = report(
  "/v1/admin/reports/orders-by-hour",
  "Orders per hour of the week (peak hours heatmap)",
  "168 rows: ISO weekday (1 = Monday) × local hour of the start.",
);
export const hotCells = report(
  "/v1/admin/reports/hot-cells",
  "Hot cells: orders per H3 cell",
  "Busiest first, with completed, cancelled and revenue (分).",
);
export const sales = report(
  "/v1/admin/reports/sales",
  "Sales per day, merchant or service: the order totals of completed visits",
  "The totals of completed orders in integer minor units (分); `/v1/admin/reports/revenue` splits money as the ledger booked it.",
  { by: z.enum(["day", "merchant", "service"]).default("day") },
);
export const acceptTime = report(
  "/v1/admin/reports/accept-time",
  "Time from booking to acceptance",
  "A histogram of seconds from the order's creation to its first acceptance (`upToSeconds` null = longer), with median, 90th percentile and mean in `totals`.",
);
export const rates = report(
  "/v1/admin/reports/rates",
  "Acceptance and cancellation rates per day",
  "acceptanceRate = accepted ÷ (accepted + declined or missed offers); cancellationRate = cancelled ÷ orders.",
);
export const utilisation = report(
  "/v1/admin/reports/utilisation",
  "Technician utilisation",
  "Per technician: minutes booked on visits ÷ minutes of their shifts in the range.",
);
