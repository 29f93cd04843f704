import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer } from "../http/openapi";

const staff = requireRole("operator", "admin", "merchant_admin");
const LocalDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");

/** The query of a report over one city or, without `city`, every city. */
export const ScopedReportQuery = z.object({
  city: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "City id; without it every city (dates in Asia/Shanghai)", example: "cty_demoShanghai" }),
  from: LocalDate.optional().openapi({ description: "First local date (default: 27 days before `to`)" }),
  to: LocalDate.optional().openapi({ description: "Last local date, inclusive (default: today)" }),
  format: z.enum(["json", "csv"]).default("json").openapi({ description: "csv: the rows as a CSV download" }),
});

const Cell = z.union([z.string(), z.number(), z.null()]);

export const ScopedReport = z
  .object({
    cityId: z.string().nullable().openapi({ description: "null: every city" }),
    timeZone: z.string(),
    from: z.string(),
    to: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.record(z.string(), Cell)),
    totals: z.record(z.string(), z.number().nullable()),
  })
  .openapi("ScopedReport");

const GrowthReport = ScopedReport.extend({
  lines: z
    .array(z.object({ key: z.string(), kind: z.enum(["revenue", "cost"]), label: z.object({ zh: z.string(), en: z.string() }) }))
    .openapi({ description: "The revenue and cost lines in `totals` (分), with their names" }),
}).openapi("GrowthReport");

export const csvOrJson = <T extends z.ZodType>(schema: T) => ({
  200: {
    description: "The report (JSON, or CSV with `format=csv`)",
    content: { "application/json": { schema }, "text/csv": { schema: z.string() } },
  },
  ...authErrors(404),
});

export const SCOPE_NOTE =
  "Operators see every city or one (`city`); a merchant_admin's report covers its own merchant's orders. 400 INVALID_RANGE for a reversed range or one over 366 days; 404 for an unknown city.";

export const customerGrowth = createRoute({
  operationId: "getCustomerGrowthReport",
  method: "get",
  path: "/v1/admin/reports/customer-growth",
  tags: ["Reports"],
  summary: "Customer growth: new, active and returning customers per day or week, and the repeat rate",
  description: `Counts completed orders by the local date of the visit. A customer is new in the period of their first completed order (in the report's scope); active in a period with a completed order; returning when active but not new. \`totals\`: new, distinct active and repeat customers (two or more completed orders in the range), repeatRate = repeat ÷ active, and the revenue/cost lines named in \`lines\` (分). ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: {
    query: ScopedReportQuery.extend({
      period: z.enum(["day", "week"]).default("day").openapi({ description: "week: ISO weeks, keyed by their Monday" }),
    }),
  },
  responses: csvOrJson(GrowthReport),
});

export const revenueLines = createRoute({
  operationId: "getRevenueLinesReport",
  method: "get",
  path: "/v1/admin/reports/revenue-lines",
  tags: ["Reports"],
  summary: "Revenue and cost lines: order revenue, packages sold, recognised, breakage and deferred, membership discounts and points",
  description: `One row per line (\`line\`, \`kind\` revenue or cost, its names in zh-CN and en, \`amount\` in 分): the figures \`customer-growth\` carries in \`totals\`, as a table (and a CSV with \`format=csv\`). \`totals\`: revenue and cost summed. With a city, package sales, refunds and breakage (which belong to no city) are left out. ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: { query: ScopedReportQuery },
  responses: csvOrJson(ScopedReport),
});

export const cohorts = createRoute({
  operationId: "getCohortRetentionReport",
  method: "get",
  path: "/v1/admin/reports/cohorts",
  tags: ["Reports"],
  summary: "Cohort retention: monthly cohorts by first completed order × months since",
  description: `One row per month from \`from\`'s to \`to\`'s: the customers whose first completed order fell in it (\`customers\`), then for k months later how many of them completed an order (\`mk\`) and that share (\`rk\`, 0–1); null for months not reached by \`to\`. ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: { query: ScopedReportQuery },
  responses: csvOrJson(ScopedReport),
});

export const campaignReturn = createRoute({
  operationId: "getCampaignReturnReport",
  method: "get",
  path: "/v1/admin/reports/campaign-return",
  tags: ["Reports"],
  summary: "Campaign cost and return: coupons issued and redeemed, cost, revenue and new customers per campaign",
  description: `One row per campaign with coupons issued (created in the range; a coupon belongs to no city) or redeemed (on paid orders whose visit starts in the range). \`cost\`: the coupons' discounts (分), split \`platformFunded\` / \`merchantFunded\`; \`revenue\`: the totals of those orders; \`newCustomers\`: customers whose first paid order used the campaign's coupon, and \`newCustomerLaterRevenue\` their other paid orders in the range; \`return\` = revenue ÷ cost (null without cost). Campaigns named by \`nameZh\` / \`nameEn\`. A merchant_admin sees its merchant's campaigns. ${SCOPE_NOTE}`,
  security: bearer,
  middleware: [staff] as const,
  request: { query: ScopedReportQuery },
  responses: csvOrJson(ScopedReport),
});
