/**
 * Operational reports for the dashboard (orders, dispatch, utilisation) and their CSV.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export * from "./reports.service";
export * as reportRouteDefs from "./reports.routes";
