/**
 * Routing: a technician's day as a route (ordered stops, legs timed by the travel model, map app
 * hand-off links in each app's datum), and the stored day plans of flexible-window jobs.
 * The area's public surface: its router (mounted by src/http/routes.ts), the day plans' builder (run
 * by the route-plans queue consumer), the cron's lease of lost builds and the day plans' retention.
 */
export { default as dayRouteRoutes } from "./day-route.handlers";
export { technicianDayRoute } from "./day-route.service";
export { buildDayPlan } from "./day-plans.consumer";
export { purgeDayPlansBefore, settleLostDayPlans } from "./day-plans.service";
