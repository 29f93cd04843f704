/**
 * Coupons: operators create them, quotes apply them, orders redeem them.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as couponsRoutes } from "./coupons.handlers";
export * from "./coupons.service";
