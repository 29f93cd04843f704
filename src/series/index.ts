/**
 * Recurring visits: series (an RRULE subset at a wall-clock time in the city's zone), their visits
 * booked a rolling horizon ahead as orders, skip / move / pause / resume / change from a date /
 * cancel the rest under each visit's cancellation policy.
 * The area's public surface: its router (mounted by src/http/routes.ts) and the cron's step.
 */
export { default as seriesRoutes } from "./series.handlers";
export { runDueSeries } from "./series-cron.service";
