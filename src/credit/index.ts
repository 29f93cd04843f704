/**
 * Technician credit: the score (0–1000) from the facts of the work (ratings, upheld complaints,
 * cancellations by the technician, no-shows, lateness, missed offers), levels (见习/标准/金牌/钻石)
 * from score and completed jobs, rewards and penalties by staff with appeals. Other areas record a
 * fact with `recordCreditFact` (on its own) or `creditFactStatementsOf` (in their own batch).
 */
export { default as creditRoutes } from "./credit.handlers";
export {
  recordCreditFact,
  creditFactStatementsOf,
  reviewVisibilityStatementsOf,
  recalculateLevels,
  levelShareBps,
  candidateStandings,
  levelRules,
  type CreditFact,
} from "./credit.service";
