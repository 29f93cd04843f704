/**
 * The dispatcher's board: technicians × time of a cell's day, and several orders moved at once, all or nothing.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as boardRoutes } from "./board.handlers";
export { applyOrderMoves, moveRefused, MAX_MOVES, MAX_PLAN_MOVES, type MoveActor, type MoveWording, type OrderMove } from "./moves.service";
export { cellBoard } from "./board.service";
export { settleLapsedMoves } from "./move-repair.service";
export { boardOrders, cellTechnicians } from "./board.repo";
