/**
 * Cities and their cells, skills, categories and services (what can be booked where), and the per-isolate reference cache of the booking path.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as citiesRoutes } from "./cities.handlers";
export { default as catalogRoutes } from "./catalog.handlers";
export * from "./cities.service";
export * from "./reference.service";
export * as cityRouteDefs from "./cities.routes";
