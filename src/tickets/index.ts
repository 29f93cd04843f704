/**
 * After-sales tickets: a customer's (or for safety a technician's) case about an order, its log,
 * SLA, its support conversation (through src/conversations), and the staff decision (rework visit,
 * refund, coupon, penalty with its credit fact).
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call
 * (src/privacy: the person's tickets for the export and the deletion).
 */
export { default as ticketsRoutes } from "./tickets.handlers";
export { ticketView } from "./tickets.service";
export { ticketErasure, ticketsOfAccount } from "./personal-data.service";
