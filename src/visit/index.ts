/**
 * The visit: check-in, start code, photos, extra charges, time changes, address reveal, number
 * privacy (virtual numbers) and live tracking.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as visitRoutes } from "./visit.handlers";
export * from "./visit.service";
export * from "./access";
export * from "./changes.service";
export * from "./photos.service";
export * from "./number-privacy.service";
export * from "./start-code.service";
export * as photoRouteDefs from "./photos.routes";
export * from "./visit.schemas";
