/**
 * Conversations: an order's chat between its customer and technician, support chats with staff, the
 * staff inbox (claim, hand-off, canned answers, SLA), masking and abuse flags, live delivery through
 * the cells, retention and the personal-data export.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as conversationsRoutes } from "./conversations.handlers";
export { conversationsOfAccount, purgeChatsBefore, purgeOldChats, orderChatOpen } from "./conversations.service";
