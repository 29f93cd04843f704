/**
 * The dashboard's API: the live city picture, candidates for an order, dispatch settings, documents and reports screens.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as dashboardRoutes } from "./operations.handlers";
export { pushOrderChanges, type OrderChange } from "./live-socket.service";
