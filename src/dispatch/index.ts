/**
 * Who does the job: availability, candidate ranking, automatic, grab and batched dispatch, and the technician's tasks (accept, decline, grab).
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as availabilityRoutes } from "./availability.handlers";
export { default as tasksRoutes } from "./tasks.handlers";
export * from "./dispatch.service";
export * from "./batch-dispatch.service";
export * from "./availability.service";
export * from "./weights.service";
export { forgetFavourites, forgetRankingFacts } from "./ranking-history";
