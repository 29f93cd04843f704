/**
 * After-sales tickets: a customer's (or for safety a technician's) case about an order, its log,
 * SLA, and the staff decision (rework visit, refund, coupon, penalty with its credit fact).
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as ticketsRoutes } from "./tickets.handlers";
export { ticketView } from "./tickets.service";
