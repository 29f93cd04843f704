/**
 * Accounts and sign-in (OTP, WeChat, tokens), the caller's own profile and saved addresses, the merchant scope of staff,
 * and the backfill that seals the coordinates of addresses and orders written before they were sealed.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as authRoutes } from "./auth.handlers";
export { default as meRoutes } from "./me.handlers";
export { default as addressesRoutes } from "./addresses.handlers";
export { default as wechatRoutes } from "./wechat.handlers";
export { default as accountsAdminRoutes } from "./accounts-admin.handlers";
export { default as bootstrapRoutes } from "./bootstrap.handlers";
export * from "./auth.service";
export * from "./scope";
export { boundOpenId } from "./wechat.service";
export { backfillCoordinates } from "./coordinates-backfill.service";
