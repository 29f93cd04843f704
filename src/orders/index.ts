/**
 * Quotes, booking, the order's state machine and timeline, customer and staff order views, idempotency.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as ordersRoutes } from "./orders.handlers";
export { default as adminOrdersRoutes } from "./admin-orders.handlers";
export * from "./order-flow.service";
export * from "./orders.service";
export * from "./orders.view";
export * from "./orders.schemas";
export * from "./admin-orders.service";
export * from "./idempotency.service";
export * from "./rework.service";
export { placeOrderOnce, type PlaceOrderInput } from "./booking.service";
export { createQuote, readQuote, signQuote, type QuotePayload } from "./quotes.service";
export { windowView } from "./quote-window";
