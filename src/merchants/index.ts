/**
 * Merchants (service companies) and their admins.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as merchantsRoutes } from "./merchants.handlers";
