/**
 * The append-only, hash-chained audit log of sensitive actions and its staff view.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as auditRoutes } from "./audit.handlers";
export * from "./audit.service";
