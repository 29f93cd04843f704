/**
 * Packages (次卡 / 套餐) and membership (points, levels): plans, customers' packages and their draws,
 * the points ledger, level benefits in quotes, the nightly recalculation.
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call
 * (src/privacy: the person's packages, points and level for the export and the deletion).
 */
export { default as membershipRoutes } from "./membership.handlers";
export {
  memberQuote,
  memberBooking,
  memberRefusal,
  memberReleaseStatements,
  earnPoints,
  hasPriorityDispatch,
  runMembershipNightly,
  type MemberAsk,
  type MemberTerms,
} from "./points.service";
export { membershipErasure, membershipOfAccount } from "./personal-data.service";
