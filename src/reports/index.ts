/**
 * Reports for the dashboard: operational (orders, dispatch, utilisation) and growth (customers,
 * cohorts), and their CSV. The area's public surface: its routers (mounted by src/http/routes.ts)
 * and what other areas may call.
 */
export * from "./reports.service";
export * as reportRouteDefs from "./reports.routes";
export { default as growthReportsRoutes } from "./growth.handlers";
export { GROWTH_LINES, type GrowthLineSource } from "./growth.service";
export { reportAnswer } from "./report-answer";
export { ScopedReportQuery, ScopedReport, csvOrJson, SCOPE_NOTE } from "./growth.routes";
