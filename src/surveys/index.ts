/**
 * The satisfaction survey after a completed visit (NPS and configured questions) and its reports.
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as surveysRoutes } from "./surveys.handlers";
export { NPS_PROMPT } from "./surveys.service";
