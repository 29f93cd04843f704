/**
 * Conversations: an order's chat between its customer and technician, support chats with staff, the
 * staff inbox (claim, hand-off, canned answers, SLA), masking and abuse flags, live delivery through
 * the cells, retention and the personal-data export.
 * The area's public surface: its routers (mounted by src/http/routes.ts) and what other areas may call.
 */
export { default as conversationsRoutes } from "./conversations.handlers";
export { ChatMessage } from "./conversations.routes";
export {
  chatErasure,
  conversationsOfAccount,
  joinTicketConversation,
  orderChatOpen,
  planTicketConversation,
  postTicketMessage,
  purgeChatsBefore,
  purgeOldChats,
  ticketConversation,
  type TicketSide,
} from "./conversations.service";
