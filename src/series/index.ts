/**
 * Recurring visits: series (an RRULE subset at a wall-clock time in the city's zone), their visits
 * booked a rolling horizon ahead as orders, skip / move / pause / resume / change from a date /
 * cancel the rest under each visit's cancellation policy.
 * The area's public surface: its router (mounted by src/http/routes.ts), the cron's step, and what
 * src/privacy calls (the person's series for the export and the deletion).
 */
export { default as seriesRoutes } from "./series.handlers";
export { runDueSeries } from "./series-cron.service";
export { seriesErasure, seriesOfAccount } from "./personal-data.service";
