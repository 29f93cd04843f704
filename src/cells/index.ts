/**
 * The Worker's side of the city cells: addressing a cell, keeping its roster in step with D1, and the business work of the events a cell reports.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export * from "./cells.service";
export * from "./cell-events.consumer";
export { forgetCellVersions } from "./roster-versions";
