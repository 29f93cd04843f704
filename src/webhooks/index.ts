/**
 * Outbound webhooks for integrators: subscriptions, signed deliveries through the webhooks queue,
 * the delivery log and replays.
 * The area's public surface: its router (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as webhooksRoutes } from "./webhooks.handlers";
export { consumeWebhooks, forwardEvents, WEBHOOKS_QUEUE } from "./webhooks.consumer";
