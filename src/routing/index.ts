/**
 * Routing: a technician's day as a route (ordered stops, legs timed by the travel model, map app
 * hand-off links in each app's datum).
 * The area's public surface: its router (mounted by src/http/routes.ts).
 */
export { default as dayRouteRoutes } from "./day-route.handlers";
export { technicianDayRoute } from "./day-route.service";
