/**
 * What people are told when something happens: from one outbox message (a topic and its payload)
 * to the notices for the order's customer and technician, each with the channels it goes out on.
 * Pure: recipients are named by role; the delivery service resolves them to accounts.
 */
import type { Localized } from "../lib/locale";
import { CREDIT_REASONS, LEVEL_NAMES, levelRank, type Level } from "./credit";
import { surgeNoticeText } from "./surge-notices";

export type Channel = "inapp" | "push" | "sms";
export type Audience = "customer" | "technician";

export interface Notice {
  audience: Audience;
  /** Stable kind for clients, e.g. `order.accepted`. */
  kind: string;
  title: Localized;
  body: Localized;
  channels: Channel[];
  data: Record<string, unknown>;
}

/** A message as it travels through the queue (an outbox row). */
export interface OutboxEnvelope {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
}

const ALL: Channel[] = ["inapp", "push", "sms"];
const APP: Channel[] = ["inapp", "push"];

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** Local wall-clock time of an instant for a message text, e.g. `12月3日 14:30`. */
export function localWhen(at: number, timeZone: string): Localized {
  const fmt = (locale: string) =>
    new Intl.DateTimeFormat(locale, { timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).format(
      new Date(at),
    );
  return { zh: fmt("zh-CN"), en: fmt("en-GB") };
}

const notice = (
  audience: Audience,
  kind: string,
  title: Localized,
  body: Localized,
  channels: Channel[],
  data: Record<string, unknown>,
): Notice => ({ audience, kind, title, body, channels, data });

/** The order's customer-facing milestones, by the status the order moved to. */
const CUSTOMER_STATUS: Partial<Record<string, { title: Localized; body: Localized; channels: Channel[] }>> = {
  confirmed: {
    title: { zh: "订单已确认", en: "Order confirmed" },
    body: { zh: "我们正在为您安排师傅。", en: "We are finding a technician for you." },
    channels: APP,
  },
  accepted: {
    title: { zh: "师傅已接单", en: "A technician accepted" },
    body: { zh: "师傅已接单，将按约定时间上门。", en: "Your technician accepted and will come at the booked time." },
    channels: APP,
  },
  en_route: {
    title: { zh: "师傅已出发", en: "Technician on the way" },
    body: { zh: "师傅正在赶来，可在订单中查看实时位置。", en: "Your technician is on the way; follow them live in the order." },
    channels: ALL,
  },
  arrived: {
    title: { zh: "师傅已到达", en: "Technician arrived" },
    body: { zh: "师傅已到达，请向师傅出示开工码。", en: "Your technician has arrived; show them the start code." },
    channels: APP,
  },
  in_service: {
    title: { zh: "服务已开始", en: "Service started" },
    body: { zh: "师傅已开始服务。", en: "Your technician has started." },
    channels: ["inapp"],
  },
  completed: {
    title: { zh: "服务已完成", en: "Service completed" },
    body: { zh: "服务已完成，欢迎评价本次服务。", en: "The service is complete. Tell us how it went." },
    channels: APP,
  },
};

const LIVE_FOR_TECHNICIAN = new Set(["assigned", "accepted", "en_route", "arrived", "in_service"]);

/** A flexible-window booking's note (its window and planned start, src/orders/quote-window.ts) after the body. */
function withWindow(body: Localized, note: unknown, without: Localized = body): Localized {
  const n = note as { zh?: unknown; en?: unknown } | undefined;
  if (!n || typeof n.zh !== "string" || typeof n.en !== "string") return without;
  return { zh: `${body.zh}${n.zh}。`, en: `${body.en} ${n.en}.` };
}

function orderStatusNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const from = str(p.from);
  const to = str(p.to);
  const reason = str(p.reason) ?? "";
  const orderId = str(p.orderId);
  if (!to || !orderId) return [];
  const data = { orderId, from, to };
  const out: Notice[] = [];

  const milestone = CUSTOMER_STATUS[to];
  if (milestone && from !== to)
    out.push(notice("customer", `order.${to}`, milestone.title, withWindow(milestone.body, p.note), milestone.channels, data));

  // The satisfaction survey (src/surveys), separate from the review: its link rides in the data.
  if (to === "completed" && from !== to) {
    out.push(
      notice(
        "customer",
        "survey.invite",
        { zh: "邀请您参与满意度调查", en: "A short satisfaction survey" },
        { zh: "用一分钟告诉我们您的体验，帮助我们改进服务。", en: "Tell us in a minute how it went, so we can do better." },
        ["inapp"],
        { ...data, link: `/v1/orders/${orderId}/survey` },
      ),
    );
  }

  if (to === "cancelled") {
    out.push(
      notice(
        "customer",
        "order.cancelled",
        { zh: "订单已取消", en: "Order cancelled" },
        { zh: `订单已取消：${reason}`, en: `Your order was cancelled: ${reason}` },
        ALL,
        data,
      ),
    );
    if (from && LIVE_FOR_TECHNICIAN.has(from) && str(p.technicianId)) {
      out.push(
        notice(
          "technician",
          "task.cancelled",
          { zh: "订单已取消", en: "Job cancelled" },
          { zh: "您的一个订单已取消，时段已释放。", en: "One of your jobs was cancelled; the time is free again." },
          ALL,
          data,
        ),
      );
    }
  }

  // Taken off a technician (declined, cancelled by them, a missed deadline): dispatch runs again.
  if (to === "dispatching" && from && LIVE_FOR_TECHNICIAN.has(from)) {
    out.push(
      notice(
        "customer",
        "order.redispatching",
        { zh: "正在为您更换师傅", en: "Finding you another technician" },
        { zh: "原师傅无法服务，我们正在为您安排其他师傅。", en: "Your technician cannot come; we are arranging another one." },
        APP,
        data,
      ),
    );
    if (str(p.technicianId)) {
      out.push(
        notice(
          "technician",
          "task.reassigned",
          { zh: "订单已改派", en: "Job reassigned" },
          { zh: `该订单已改派给其他师傅（${reason}）。`, en: `The job went to another technician (${reason}).` },
          APP,
          data,
        ),
      );
    }
  }

  // Nobody could be found: operators take over; the customer hears it from us first.
  if (to === "dispatching" && (p.exception === "no_candidate" || p.exception === "max_rounds")) {
    out.push(
      notice(
        "customer",
        "order.needs_attention",
        { zh: "正在人工为您安排", en: "Our team is on it" },
        { zh: "暂时没有空闲的师傅，客服将尽快为您安排。", en: "No technician is free right now; our team will arrange one shortly." },
        APP,
        data,
      ),
    );
  }

  if (to === "assigned" && str(p.technicianId)) {
    out.push(
      notice(
        "technician",
        "task.offered",
        { zh: "您有新订单", en: "New job for you" },
        { zh: "有一个新订单等待您接单，请尽快确认。", en: "A new job is waiting for you to accept." },
        ALL,
        data,
      ),
    );
  }
  return out;
}

function rescheduledNotices(m: OutboxEnvelope, timeZone: string): Notice[] {
  const orderId = str(m.payload.orderId);
  const start = typeof m.payload.start === "number" ? m.payload.start : null;
  if (!orderId || start === null) return [];
  const when = localWhen(start, timeZone);
  const data = { orderId, start: new Date(start).toISOString() };
  const out = [
    notice(
      "customer",
      "order.rescheduled",
      { zh: "上门时间已变更", en: "Visit time changed" },
      // A move to a new window (src/orders/orders.service.ts) names it after the new time.
      withWindow({ zh: `新的上门时间：${when.zh}。`, en: `New visit time: ${when.en}.` }, m.payload.note, {
        zh: `新的上门时间：${when.zh}`,
        en: `New visit time: ${when.en}`,
      }),
      APP,
      data,
    ),
  ];
  if (str(m.payload.technicianId)) {
    out.push(
      notice(
        "technician",
        "task.rescheduled",
        { zh: "订单时间已变更", en: "Job time changed" },
        { zh: `新的上门时间：${when.zh}`, en: `New visit time: ${when.en}` },
        ALL,
        data,
      ),
    );
  }
  return out;
}

/** The technician an order was taken from by dispatch: no longer theirs, no need to go. */
function reassignedNotices(m: OutboxEnvelope, timeZone: string): Notice[] {
  const orderId = str(m.payload.orderId);
  const start = typeof m.payload.start === "number" ? m.payload.start : null;
  if (!orderId || start === null || !str(m.payload.technicianId)) return [];
  const when = localWhen(start, timeZone);
  return [
    notice(
      "technician",
      "task.reassigned",
      { zh: "订单已改派", en: "Job given to another technician" },
      {
        zh: `${when.zh} 的订单已由调度改派给其他师傅，无需再上门。`,
        en: `Dispatch gave the job at ${when.en} to another technician; you no longer need to go.`,
      },
      APP,
      { orderId, start: new Date(start).toISOString() },
    ),
  ];
}

/**
 * What a reschedule's new price means for the customer, in both languages (the timeline's note and
 * the notice's text): the new total, and the refund or the difference to pay.
 */
export function repricedNote(r: { previousTotal: number; total: number; refund: number; due: number }): Localized {
  const zh = [`改约后订单金额由 ${yuan(r.previousTotal)} 变为 ${yuan(r.total)}。`];
  const en = [`After the reschedule the order costs ${yuan(r.total)} instead of ${yuan(r.previousTotal)}.`];
  if (r.refund > 0) {
    zh.push(`多付的 ${yuan(r.refund)} 将原路退回。`);
    en.push(`The ${yuan(r.refund)} paid above it goes back to you.`);
  }
  if (r.due > 0) {
    zh.push(`请在订单中补付差价 ${yuan(r.due)}。`);
    en.push(`Please pay the difference of ${yuan(r.due)} in your order.`);
  }
  return { zh: zh.join(""), en: en.join(" ") };
}

function repricedNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const [total, previousTotal, refund, due] = [num(p.amount), num(p.previousTotal), num(p.refund), num(p.due)];
  if (!orderId || total === null || previousTotal === null || refund === null || due === null) return [];
  return [
    notice(
      "customer",
      "order.repriced",
      { zh: "订单价格已调整", en: "Order price changed" },
      repricedNote({ previousTotal, total, refund, due }),
      APP,
      { orderId, amount: total, previousTotal, refund, due, currency: str(p.currency) ?? "CNY" },
    ),
  ];
}

const CHANGE_WHAT: Record<string, Localized> = {
  extra_charge: { zh: "加价", en: "extra charge" },
  time_change: { zh: "改时间", en: "time change" },
};

function changeNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  const status = str(p.status);
  const what = CHANGE_WHAT[str(p.kind) ?? ""];
  if (!orderId || !status || !what) return [];
  const data = { orderId, changeId: str(p.changeId), kind: p.kind, status };
  if (status === "pending") {
    return [
      notice(
        "customer",
        "change.requested",
        { zh: `师傅申请${what.zh}`, en: `Your technician asks for a ${what.en}` },
        { zh: `请在订单中确认或拒绝师傅的${what.zh}申请。`, en: `Approve or reject the ${what.en} in your order.` },
        APP,
        data,
      ),
    ];
  }
  if (status === "withdrawn") {
    return [
      notice(
        "customer",
        "change.withdrawn",
        { zh: `师傅已撤回${what.zh}申请`, en: `The ${what.en} was withdrawn` },
        { zh: "无需再处理该申请。", en: "Nothing to decide any more." },
        ["inapp"],
        data,
      ),
    ];
  }
  const approved = status === "approved";
  return [
    notice(
      "technician",
      approved ? "change.approved" : "change.rejected",
      approved
        ? { zh: `客户已同意${what.zh}`, en: `The customer approved the ${what.en}` }
        : { zh: `客户未同意${what.zh}`, en: `The customer rejected the ${what.en}` },
      approved ? { zh: "订单已按申请更新。", en: "The order was updated." } : { zh: "订单保持不变。", en: "The order stays as it was." },
      APP,
      data,
    ),
  ];
}

function reminderNotices(m: OutboxEnvelope, timeZone: string): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  const start = typeof p.start === "number" ? p.start : null;
  const lead = str(p.lead);
  if (!orderId || start === null || (lead !== "24h" && lead !== "1h")) return [];
  const when = localWhen(start, timeZone);
  const data = { orderId, start: new Date(start).toISOString(), lead };
  const out = [
    notice(
      "customer",
      `reminder.${lead}`,
      lead === "24h" ? { zh: "明天有上门服务", en: "Visit tomorrow" } : { zh: "师傅即将上门", en: "Visit within the hour" },
      { zh: `上门时间：${when.zh}，请留意来电。`, en: `Visit at ${when.en}; keep your phone at hand.` },
      lead === "1h" ? ALL : APP,
      data,
    ),
  ];
  if (str(p.technicianId)) {
    out.push(
      notice(
        "technician",
        `reminder.${lead}`,
        lead === "24h" ? { zh: "明天的订单", en: "Job tomorrow" } : { zh: "订单即将开始", en: "Job within the hour" },
        { zh: `上门时间：${when.zh}，请按时出发。`, en: `Visit at ${when.en}; leave in time.` },
        APP,
        data,
      ),
    );
  }
  return out;
}

function reviewNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  if (!orderId || typeof p.overall !== "number" || !str(p.technicianId)) return [];
  const score = (p.overall / 100).toFixed(2);
  return [
    notice(
      "technician",
      "review.received",
      { zh: "收到新评价", en: "New review" },
      { zh: `客户给了您 ${score} 分。`, en: `A customer rated your visit ${score}.` },
      APP,
      { orderId, reviewId: str(p.reviewId), overall: p.overall },
    ),
  ];
}

/**
 * A chat message for someone with no live socket (src/conversations): the recipient is named by
 * account in `customerId`. The text itself is never in the notice (it could be read on a lock screen
 * or in an SMS log): only that there is a message, and where.
 */
function chatNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const conversationId = str(p.conversationId);
  if (!conversationId || !str(p.customerId)) return [];
  const support = p.support === true;
  return [
    notice(
      "customer",
      "chat.message",
      support ? { zh: "客服回复了您", en: "Support replied" } : { zh: "您有新消息", en: "New message" },
      support
        ? { zh: "客服给您发来了新消息，请在应用中查看。", en: "Our support team sent you a message; open the app to read it." }
        : { zh: "订单会话中有一条新消息，请在应用中查看。", en: "There is a new message in your order's chat; open the app to read it." },
      ALL,
      { conversationId, messageId: str(p.messageId), orderId: str(p.orderId) },
    ),
  ];
}

const TICKET_EVENT_TEXT: Record<string, { title: Localized; body: Localized }> = {
  opened: {
    title: { zh: "售后工单已提交", en: "After-sales ticket opened" },
    body: { zh: "订单的售后工单已提交，客服会尽快处理。", en: "A ticket about the order was opened; our team will look into it." },
  },
  in_review: {
    title: { zh: "工单处理中", en: "Ticket in review" },
    body: { zh: "客服已开始处理您的售后工单。", en: "Our team started reviewing the ticket." },
  },
  statement: {
    title: { zh: "工单有新说明", en: "New statement on a ticket" },
    body: { zh: "售后工单中有新的说明。", en: "There is a new statement on the ticket." },
  },
  appeal: {
    title: { zh: "师傅已提交申诉", en: "The technician appealed" },
    body: { zh: "师傅就售后工单提交了申诉说明。", en: "The technician gave their side on the ticket." },
  },
  resolved: {
    title: { zh: "工单已处理", en: "Ticket resolved" },
    body: { zh: "您的售后工单已处理完成，请查看处理结果。", en: "The ticket was resolved; see the resolution." },
  },
  rejected: {
    title: { zh: "工单未获支持", en: "Ticket rejected" },
    body: { zh: "售后工单经核实未获支持，可在期限内重新打开。", en: "The ticket was not upheld; it may be reopened within the window." },
  },
  reopened: {
    title: { zh: "工单已重新打开", en: "Ticket reopened" },
    body: { zh: "售后工单已重新打开，客服会再次处理。", en: "The ticket was reopened and will be reviewed again." },
  },
};

/** A ticket's change, told to the parties `to` names (the author of a statement is not told of it). */
function ticketNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const text = TICKET_EVENT_TEXT[String(p.event)];
  const orderId = str(p.orderId);
  if (!text || !orderId || !Array.isArray(p.to)) return [];
  const data = { orderId, ticketId: str(p.ticketId), category: str(p.category), event: p.event };
  return (p.to as unknown[])
    .filter((a): a is Audience => a === "customer" || (a === "technician" && str(p.technicianId) !== null))
    .map((a) => notice(a, `ticket.${String(p.event)}`, text.title, text.body, APP, data));
}

/** Integer 分 as a price for a message text, e.g. `¥128.00`. */
export function yuan(amount: number): string {
  const fen = Math.abs(Math.trunc(amount));
  return `${amount < 0 ? "-" : ""}¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

/** Money events: payments and refunds tell the customer, payouts the technician. */
function moneyNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const amount = typeof p.amount === "number" ? yuan(p.amount) : null;
  if (amount === null) return [];
  const orderId = str(p.orderId);
  const data = { ...(orderId ? { orderId } : {}), amount: p.amount, currency: str(p.currency) ?? "CNY" };
  switch (m.topic) {
    case "payment.succeeded":
      return orderId
        ? [
            notice(
              "customer",
              "payment.succeeded",
              { zh: "支付成功", en: "Payment received" },
              { zh: `已收到您的付款 ${amount}。`, en: `We received your payment of ${amount}.` },
              APP,
              { ...data, paymentId: str(p.paymentId) },
            ),
          ]
        : [];
    case "payment.refunded_late":
      return orderId
        ? [
            notice(
              "customer",
              "payment.refunded_late",
              { zh: "订单已取消并退款", en: "Order cancelled and refunded" },
              {
                zh: `付款到达时该时段已无人可约，已全额退款 ${amount}。`,
                en: `The time was no longer free when your payment arrived; ${amount} is refunded in full.`,
              },
              ALL,
              data,
            ),
          ]
        : [];
    case "payment.refunded_duplicate":
      return orderId
        ? [
            notice(
              "customer",
              "payment.refunded_duplicate",
              { zh: "重复付款已退回", en: "Duplicate payment refunded" },
              { zh: `多付的 ${amount} 已原路退回。`, en: `The extra ${amount} you paid goes back to you.` },
              APP,
              data,
            ),
          ]
        : [];
    case "payment.due":
      return orderId
        ? [
            p.reminder === true
              ? notice(
                  "customer",
                  "payment.due_reminder",
                  { zh: "订单仍待付款", en: "Your order is still unpaid" },
                  {
                    zh: `服务已完成，仍有 ${amount} 未付款。付款前无法预约新的服务。`,
                    en: `Your service is complete and ${amount} is still unpaid. You can book again once it is paid.`,
                  },
                  ALL,
                  data,
                )
              : notice(
                  "customer",
                  "payment.due",
                  { zh: "请支付服务费用", en: "Please pay for your service" },
                  { zh: `服务已完成，请在订单中支付 ${amount}。`, en: `Your service is complete; please pay ${amount} in your order.` },
                  APP,
                  data,
                ),
          ]
        : [];
    case "payment.waived":
      return orderId
        ? [
            notice(
              "customer",
              "payment.waived",
              { zh: "未付款项已免除", en: "Your balance was waived" },
              {
                zh: `该订单未付的 ${amount} 已由平台免除，您无需再付款，可以继续预约服务。`,
                en: `The ${amount} still unpaid on this order was waived: there is nothing left to pay and you can book again.`,
              },
              ALL,
              data,
            ),
          ]
        : [];
    case "refund.succeeded":
      return orderId
        ? [
            notice(
              "customer",
              "refund.succeeded",
              { zh: "退款成功", en: "Refund completed" },
              { zh: `${amount} 已原路退回。`, en: `${amount} is on its way back to you.` },
              ALL,
              data,
            ),
          ]
        : [];
    case "refund.failed":
      return orderId
        ? [
            notice(
              "customer",
              "refund.delayed",
              { zh: "退款处理中", en: "Refund delayed" },
              {
                zh: `${amount} 的退款暂未成功，客服会尽快跟进。`,
                en: `Your refund of ${amount} did not go through yet; our team is on it.`,
              },
              ["inapp"],
              data,
            ),
          ]
        : [];
    case "withdrawal.paid":
      return [
        notice(
          "technician",
          "withdrawal.paid",
          { zh: "提现已到账", en: "Withdrawal paid" },
          { zh: `提现 ${amount} 已打款。`, en: `Your withdrawal of ${amount} was paid out.` },
          APP,
          { ...data, withdrawalId: str(p.withdrawalId) },
        ),
      ];
    case "withdrawal.failed":
      return [
        notice(
          "technician",
          "withdrawal.failed",
          { zh: "提现失败", en: "Withdrawal failed" },
          {
            zh: `提现 ${amount} 未能打款，金额已退回余额。`,
            en: `Your withdrawal of ${amount} could not be paid; the money is back in your balance.`,
          },
          APP,
          { ...data, withdrawalId: str(p.withdrawalId) },
        ),
      ];
    default:
      return [];
  }
}

/** What a technician's document is called in a notice. */
export const DOCUMENT_KIND_NAMES: Record<string, Localized> = {
  id_card: { zh: "身份证", en: "ID card" },
  certificate: { zh: "资格证书", en: "certificate" },
  health: { zh: "健康证", en: "health certificate" },
  other: { zh: "证件", en: "document" },
};

/** A technician's certificate expiring in 30 or 7 days, or expired (its skills no longer offered). */
function documentNotices(m: OutboxEnvelope, timeZone: string): Notice[] {
  const p = m.payload;
  const documentId = str(p.documentId);
  const what = DOCUMENT_KIND_NAMES[str(p.kind) ?? "other"] ?? DOCUMENT_KIND_NAMES.other!;
  if (!documentId) return [];
  if (m.topic === "technician.document_expired") {
    const skills = Array.isArray(p.skills) ? p.skills.filter((s): s is string => typeof s === "string") : [];
    return [
      notice(
        "technician",
        "document.expired",
        { zh: `${what.zh}已过期`, en: `Your ${what.en} expired` },
        {
          zh: "相关技能已暂停接单，请上传新的证件并等待审核。",
          en: "The skills it proves get no orders until a renewed document is approved.",
        },
        ALL,
        { documentId, skills },
      ),
    ];
  }
  const lead = str(p.lead);
  const expiresAt = typeof p.expiresAt === "number" ? p.expiresAt : null;
  if ((lead !== "30d" && lead !== "7d") || expiresAt === null) return [];
  const days = lead === "30d" ? 30 : 7;
  const when = localWhen(expiresAt, timeZone);
  return [
    notice(
      "technician",
      `document.expiring.${lead}`,
      { zh: `${what.zh}将于${days}天内过期`, en: `Your ${what.en} expires within ${days} days` },
      { zh: `有效期至 ${when.zh}，请及时上传新证件。`, en: `Valid until ${when.en}; upload a renewed one in time.` },
      lead === "7d" ? ALL : APP,
      { documentId, lead, expiresAt: new Date(expiresAt).toISOString() },
    ),
  ];
}

/** Credit: the technician is told of a reward or penalty, an appeal's outcome and a level change, with the reason in words. */
function creditNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  if (!str(p.technicianId)) return [];
  if (m.topic === "credit.decision") {
    const reason = CREDIT_REASONS[str(p.reasonCode) as keyof typeof CREDIT_REASONS]?.text;
    const points = typeof p.points === "number" ? p.points : 0;
    const amount = typeof p.amount === "number" ? p.amount : 0;
    if (!reason || (p.kind !== "reward" && p.kind !== "penalty")) return [];
    const reward = p.kind === "reward";
    const parts = (lang: "zh" | "en") =>
      [
        points !== 0
          ? lang === "zh"
            ? `信用分 ${points > 0 ? "+" : ""}${points}`
            : `credit score ${points > 0 ? "+" : ""}${points}`
          : null,
        amount > 0
          ? lang === "zh"
            ? `${reward ? "奖励" : "扣款"} ${yuan(amount)}`
            : `${reward ? "bonus" : "deduction"} ${yuan(amount)}`
          : null,
      ]
        .filter(Boolean)
        .join(lang === "zh" ? "，" : ", ");
    return [
      notice(
        "technician",
        `credit.${p.kind}`,
        reward ? { zh: "您获得了一项奖励", en: "You received a reward" } : { zh: "您收到一项处罚", en: "You received a penalty" },
        {
          zh: `${reason.zh}：${parts("zh")}。${reward ? "" : "如有异议，可以申诉。"}`,
          en: `${reason.en}: ${parts("en")}.${reward ? "" : " You may appeal it if you disagree."}`,
        },
        reward ? APP : ALL,
        { decisionId: str(p.decisionId), kind: p.kind, reasonCode: p.reasonCode, points, amount },
      ),
    ];
  }
  if (m.topic === "credit.appeal_decided") {
    const granted = p.outcome === "granted";
    return [
      notice(
        "technician",
        `credit.appeal.${granted ? "granted" : "denied"}`,
        granted ? { zh: "申诉成立", en: "Appeal granted" } : { zh: "申诉未获支持", en: "Appeal denied" },
        granted
          ? {
              zh: "您的申诉成立，处罚已撤销，扣除的分数和款项已退回。",
              en: "Your appeal was granted: the penalty is reversed, its points and money given back.",
            }
          : { zh: "您的申诉经核实未获支持，处罚维持不变。", en: "Your appeal was reviewed and denied; the penalty stands." },
        APP,
        { appealId: str(p.appealId), decisionId: str(p.decisionId), outcome: p.outcome },
      ),
    ];
  }
  const from = LEVEL_NAMES[str(p.from) as Level];
  const to = LEVEL_NAMES[str(p.to) as Level];
  if (m.topic !== "credit.level_changed" || !from || !to) return [];
  const up = levelRank(p.to as Level) > levelRank(p.from as Level);
  return [
    notice(
      "technician",
      up ? "credit.level.up" : "credit.level.down",
      up ? { zh: `恭喜升级为${to.zh}`, en: `You are now ${to.en}` } : { zh: `等级调整为${to.zh}`, en: `Your level is now ${to.en}` },
      up
        ? { zh: `您的等级已从${from.zh}提升为${to.zh}。`, en: `Your level rose from ${from.en} to ${to.en}.` }
        : {
            zh: `根据信用分和完成单量，您的等级已从${from.zh}调整为${to.zh}。`,
            en: `From your credit score and completed jobs, your level moved from ${from.en} to ${to.en}.`,
          },
      APP,
      { from: p.from, to: p.to },
    ),
  ];
}

/** The customer is asked whether the technician may show their visit as a case (before/after photos) on the public profile. */
function caseConsentNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  if (!orderId || !str(p.customerId) || !str(p.caseId)) return [];
  return [
    notice(
      "customer",
      "case.consent_requested",
      { zh: "师傅想展示本次服务", en: "May your visit be shown?" },
      {
        zh: "为您服务的师傅希望将本次服务的前后对比照片展示在其主页，是否同意由您决定，可随时撤回。",
        en: "Your technician would like to show before/after photos of the visit on their profile. It is your choice, and you can change it at any time.",
      },
      APP,
      { orderId, caseId: str(p.caseId) },
    ),
  ];
}

/**
 * The notices one message gives rise to. Unknown topics give none: they may be for other consumers.
 * `timeZone` is the order's city zone, for the times written in the texts.
 */
export function noticesFor(m: OutboxEnvelope, timeZone = "Asia/Shanghai"): Notice[] {
  switch (m.topic) {
    case "order.status":
      return orderStatusNotices(m);
    case "order.rescheduled":
      return rescheduledNotices(m, timeZone);
    case "order.reassigned":
      return reassignedNotices(m, timeZone);
    case "order.repriced":
      return repricedNotices(m);
    case "order.change":
      return changeNotices(m);
    case "order.reminder":
      return reminderNotices(m, timeZone);
    case "order.time_proposal":
      return timeProposalNotices(m, timeZone);
    case "review.created":
      return reviewNotices(m);
    case "chat.message":
      return chatNotices(m);
    case "ticket.changed":
      return ticketNotices(m);
    case "series.visit":
      return seriesNotices(m);
    case "technician.document_expiring":
    case "technician.document_expired":
      return documentNotices(m, timeZone);
    case "credit.decision":
    case "credit.appeal_decided":
    case "credit.level_changed":
      return creditNotices(m);
    case "case.consent_requested":
      return caseConsentNotices(m);
    case "surge.call":
      return surgeCallNotices(m);
    default:
      return moneyNotices(m);
  }
}

/** A cell near the technician started surging: go online, or head over while free (src/domain/surge-notices.ts). */
function surgeCallNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const names = p.skillNames as Localized | undefined;
  if (!str(p.technicianId) || !str(p.cell) || !names || (p.reason !== "go_online" && p.reason !== "head_over")) return [];
  const text = surgeNoticeText(p.reason, names);
  return [
    notice("technician", "surge.call", text.title, text.body, APP, { cell: p.cell, cityId: p.cityId, reason: p.reason, skills: p.skills }),
  ];
}

/** A series' visit, told to its customer and to its second contact (who did not book it: "the visit for …"). */
function seriesNotices(m: OutboxEnvelope): Notice[] {
  const p = m.payload;
  const start = typeof p.start === "number" ? p.start : null;
  const seriesId = str(p.seriesId);
  if (start === null || !seriesId) return [];
  const when = localWhen(start, str(p.timeZone) ?? "Asia/Shanghai");
  const data = { seriesId, ...(str(p.orderId) ? { orderId: str(p.orderId) } : {}), start: new Date(start).toISOString() };
  const texts: Partial<Record<string, { title: Localized; body: Localized; channels: Channel[] }>> = {
    booked: {
      title: { zh: "周期上门已预约", en: "Repeat visit booked" },
      body: { zh: `${when.zh} 的上门已为您预约。`, en: `The visit on ${when.en} is booked.` },
      channels: APP,
    },
    unbookable: {
      title: { zh: "周期上门未能预约", en: "A repeat visit could not be booked" },
      body: {
        zh: `${when.zh} 的上门暂无师傅可约，请在周期预约中选择其他师傅或附近的时间。`,
        en: `Nobody is free for the visit on ${when.en}; pick another technician or a nearby time in the series.`,
      },
      channels: ALL,
    },
    skipped: {
      title: { zh: "已跳过一次上门", en: "A visit was skipped" },
      body: { zh: `${when.zh} 的上门已跳过，之后的上门照常。`, en: `The visit on ${when.en} is skipped; the others stay as planned.` },
      channels: APP,
    },
    rescheduled: {
      title: { zh: "上门时间已更改", en: "A visit was moved" },
      body: { zh: `该次上门已改到 ${when.zh}。`, en: `The visit is now on ${when.en}.` },
      channels: APP,
    },
    cancelled: {
      title: { zh: "上门已取消", en: "A visit was cancelled" },
      body: { zh: `${when.zh} 的上门已取消。`, en: `The visit on ${when.en} is cancelled.` },
      channels: APP,
    },
  };
  const text =
    p.event === "booked" && p.packageUsedUp === true
      ? {
          title: { zh: "周期上门已预约（按次付费）", en: "Repeat visit booked, paid per visit" },
          body: {
            zh: `${when.zh} 的上门已为您预约。您的套餐次数已用完，本次按次付费。`,
            en: `The visit on ${when.en} is booked. Your package has no visits left, so this visit is paid per visit.`,
          },
          channels: ALL,
        }
      : texts[String(p.event)];
  if (!text) return [];
  return [notice("customer", `series.${String(p.event)}`, text.title, text.body, text.channels, data)];
}

/** Seconds to wait before delivery attempt `attempts + 1`: 10 s doubling, at most 10 minutes. */
export function retryDelaySeconds(attempts: number): number {
  const n = Math.max(1, Math.floor(attempts));
  return Math.min(600, 10 * 2 ** (n - 1));
}

/** A route plan's proposed start asked of the customer, or the question closed with the time kept. */
function timeProposalNotices(m: OutboxEnvelope, timeZone: string): Notice[] {
  const p = m.payload;
  const orderId = str(p.orderId);
  const questionId = str(p.questionId);
  if (!orderId || !questionId || typeof p.currentStart !== "number" || typeof p.start !== "number") return [];
  const now = localWhen(p.currentStart, timeZone);
  const next = localWhen(p.start, timeZone);
  const data = { orderId, questionId, currentStart: new Date(p.currentStart).toISOString(), start: new Date(p.start).toISOString() };
  if (p.event === "asked") {
    return [
      notice(
        "customer",
        "order.time_proposal",
        { zh: "可否调整上门时间？", en: "May we move your visit?" },
        {
          zh: `为让师傅当天的路线更顺，我们想把您的上门时间从 ${now.zh} 调整到 ${next.zh}。请在应用内同意或拒绝，不同意则时间不变。`,
          en: `To smooth the technician's route that day, we would like to move your visit from ${now.en} to ${next.en}. Approve or decline in the app; if you decline, the time stays.`,
        },
        APP,
        data,
      ),
    ];
  }
  if (p.event === "dropped") {
    return [
      notice(
        "customer",
        "order.time_proposal_dropped",
        { zh: "上门时间不变", en: "Your visit time stays" },
        {
          zh: `之前征询的时间调整已取消，您的上门时间仍为 ${now.zh}。`,
          en: `The proposed change is off; your visit stays at ${now.en}.`,
        },
        APP,
        { ...data, reason: str(p.reason) },
      ),
    ];
  }
  return [];
}
