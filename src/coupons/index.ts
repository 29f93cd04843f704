/**
 * Coupons: operators create them, quotes apply them (or pick the best of the wallet), orders redeem
 * them; the wallet, campaigns, referrals and share links (growth.routes.ts).
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call
 * (src/privacy: the person's wallet, referrals and birthday for the export and the deletion).
 */
export { default as couponsRoutes } from "./coupons.handlers";
export * from "./coupons.service";
export { default as growthRoutes } from "./growth.handlers";
export { couponForQuote, walletCouponRow } from "./wallet.service";
export { runCampaignRules } from "./campaigns.service";
export { decideReferrals } from "./referrals.service";
export { couponsErasure, couponsOfAccount } from "./personal-data.service";
