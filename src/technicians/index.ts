/**
 * Technicians: registration and approval, self-application and lifecycle (documents required per
 * skill, expiry, suspend/reinstate/remove, proposed changes), documents, shifts and schedule, presence,
 * moving home cell, payout accounts, public profiles with the case showcase, and the search customers
 * choose a technician with.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as techniciansRoutes } from "./technicians.handlers";
export { default as lifecycleRoutes } from "./lifecycle.handlers";
export { runLifecycle } from "./lifecycle.service";
export { default as scheduleRoutes } from "./schedule.handlers";
export { default as presenceRoutes } from "./presence.handlers";
export { default as payeesRoutes } from "./payees.handlers";
export { default as profilesRoutes } from "./profiles.handlers";
export { profilePhotoFile } from "./profiles.service";
export * from "./shifts.service";
export * from "./home-move.service";
export * from "./documents.service";
export * as documentRouteDefs from "./documents.routes";
export * from "./payees.service";
export { searchTechnicians } from "./search.service";
