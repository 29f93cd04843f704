/**
 * Payments through the providers and their webhooks, refunds and complaints, the double-entry ledger, commissions, what served orders still owe (dues, cash), earnings, withdrawals, reconciliation, daily provider statements and revenue reports.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as paymentsRoutes } from "./payments.handlers";
export { default as moneyRoutes } from "./money.handlers";
export * from "./order-money.service";
export * from "./payments.service";
export * from "./refund-flow.service";
export * from "./settle.service";
export * from "./reconcile.service";
export * from "./payments.schemas";
export * from "./statements.service";
export { runPaymentDues, recordCash, cashOf, splitCollected } from "./collection.service";
export * from "./ticket-refunds.service";
export { createPackagePayment, providerPaymentOf, refundPackageToProvider, settlePackagePayment } from "./package-money.service";
