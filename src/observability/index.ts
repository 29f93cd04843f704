/**
 * Operating the platform: metrics (Workers Analytics Engine and the D1 rollup the operator screen
 * reads) and alerts (the signed alert webhook and the operators' notification centre, de-duplicated).
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as observabilityRoutes } from "./observability.routes";
export { alertDeadLetter, checkExceptionQueues, raiseAlert, type Alert, type AlertKind } from "./alerts.service";
export { batchLag, countStatement, METRICS, recordMetrics, writePoint } from "./metrics.service";
