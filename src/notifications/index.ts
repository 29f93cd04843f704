/**
 * Notices: the outbox, its queue consumer (in-app, push, SMS), reminders, the notification centre and dead letters.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as notificationsRoutes } from "./notifications.handlers";
export * from "./outbox.service";
export * from "./delivery.service";
export * from "./reminders.service";
