/**
 * Team route plans: a cell's day reassigned across its technicians (every start kept), built by a
 * queue consumer and accepted atomically through the cell.
 * The area's public surface: its router (mounted by src/http/routes.ts) and its queue consumer.
 */
export { default as routePlansRoutes } from "./route-plans.handlers";
export { consumeRoutePlans } from "./route-plans.consumer";
export { settleLapsedAccepts } from "./accept-lease.service";
export { settleLostQueued } from "./queue-lease.service";
export { settleAsks } from "./asking.service";
