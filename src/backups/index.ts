/**
 * Daily D1 backups to R2 with retention, and the operators' routes to list and download them.
 * The area's public surface: its router (mounted by src/http/routes.ts) and the cron's entry points.
 */
export { default as backupsRoutes } from "./backups.handlers";
export { BACKUP_CRON, runBackup, pruneBackups } from "./backup.service";
