/**
 * Personal data (PIPL): consent records and their enforcement where data is shared, data exports,
 * account deletion with a cooling-off period, and retention jobs (README "Personal data").
 * The area's public surface: its router (mounted by src/http/routes.ts), the consent reads other
 * areas make where they share (consents.service imports no other area), and the cron's entry points.
 */
export { default as privacyRoutes } from "./privacy.handlers";
export * from "./consents.service";
export { EXPORT_CONTRIBUTORS, type ExportContributor } from "./export.registry";
export { RETENTION_JOBS, runRetention } from "./retention.service";
export { runExportBackstop } from "./export.service";
export { runDueDeletions } from "./deletion.service";
