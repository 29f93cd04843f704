/**
 * The notifications queue's consumer: each outbox message becomes in-app notices and, where the
 * notice calls for it, a push and a text message, and a WeChat subscribe message where one is
 * configured for its kind (`WECHAT_NOTIFY=live`). Delivery is idempotent per message, account and
 * channel, so a message the queue delivers twice (or an operator replays) is never sent twice.
 * A message that keeps failing is retried with backoff and then parked in the dead-letter queue,
 * whose consumer keeps it for operators to replay. A provider's permanent refusal (a template not
 * approved, a number or a push it will never take) is not retried: the message is recorded with the
 * dead letters at once, with the provider's reason, and acknowledged.
 *
 * It works per queue batch, however many messages it holds: ONE D1 statement reads everything the
 * batch needs (the messages' outbox rows, recipients, time zones, deliveries already made, push
 * devices, WeChat bindings, number-privacy state), then the channels are called, then ONE D1 batch
 * writes what happened (notices, deliveries, failures, dead letters, stale devices, and the batch's
 * outbox rows marked sent: the consumer, not the producer, marks them). A message whose outbox row
 * does not exist (the write that collected it did not happen) is acknowledged and dropped. The same
 * read says whether any webhook subscription exists; only then are the messages handed to the
 * webhooks queue. What was delivered is logged in one line per batch.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import {
  deliveryFacts,
  deliveryWrites,
  findMessage,
  insertDeadLetter,
  type DeliveryFacts,
  type DeliveryWrites,
  type Recipient,
} from "../db/repositories/notifications.repo";
import { runBatch } from "../db/repositories/statements";
import { noticesFor, retryDelaySeconds, type Audience, type Notice, type OutboxEnvelope } from "../domain/notifications";
import type { OrderStatus } from "../domain/order-state";
import { isReadinessProbe, OUTBOX_TOPICS, outboxMessage, type OutboxMessage } from "../domain/outbox";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { pushSender, PushError, smsSender, SmsError, type DeviceRegistry, type PushSender, type SmsSender } from "../adapters/channels";
import { ProviderError } from "../adapters/provider-error";
import { sendBySubscribe, subscribeAppFor, subscribeChannel, type SubscribeChannel } from "./wechat-subscribe.service";
import { followOrderNumber, followsOrderNumber } from "../visit/number-privacy.service";
import { forwardEvents } from "../webhooks";
import { pushOrderChanges, type OrderChange } from "../operations";
import { log, logger } from "../lib/log";
import { alertDeadLetter, batchLag, countStatement, METRICS } from "../observability";

/** The queue this consumer serves (wrangler.toml). */
const NOTIFICATIONS_QUEUE = "doorstep-notifications";

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

/**
 * The values an SMS template of a notice may name: `title` and `body` (Chinese) and each text or
 * number of the notice's data (`orderId`, `start`, `lead`, …).
 */
export function smsParams(n: Notice): Record<string, string> {
  const params: Record<string, string> = { title: n.title.zh, body: n.body.zh };
  for (const [k, v] of Object.entries(n.data)) {
    if (typeof v === "string" || typeof v === "number") params[k] = String(v);
  }
  return params;
}

/** What one delivery did, for logs and tests. */
export interface Delivered {
  notices: number;
  inapp: number;
  push: number;
  sms: number;
  wechat: number;
}

/** A provider refused for good: the same message sent again unchanged would be refused again. */
export function isPermanentRefusal(err: unknown): boolean {
  return (err instanceof SmsError || err instanceof PushError || err instanceof ProviderError) && !err.retryable;
}

/**
 * Some channel of a message was refused for good (and none failed in a way worth retrying): the
 * message goes to the dead letters with these reasons instead of round the retry loop.
 */
export class DeliveryRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`refused by the provider: ${reasons.join("; ")}`);
    this.name = "DeliveryRefused";
  }
}

/** The channels of one queue batch, built once for all its messages. */
interface Channels {
  push: PushSender;
  sms: SmsSender;
  /** The WeChat channel, null when it sends nothing, or why it could not be set up. */
  wechat: SubscribeChannel | null | { broken: unknown };
  /** Kinds that have a WeChat template (with `wechat` broken, their messages are retried). */
  wechatKinds: ReadonlySet<string>;
  pii: () => Promise<Pii>;
}

/** What delivering one message did, without writing anything: the batch writes it all at once. */
interface Outcome {
  done: Delivered;
  inapp: DeliveryWrites["inapp"];
  sent: DeliveryWrites["sent"];
  /** The first failure worth retrying. */
  retry?: unknown;
  /** Permanent refusals, one reason each. */
  refused: string[];
}

/**
 * Delivers one message on every channel its notices name, from what the batch read (`facts`).
 * Every channel is tried even when another fails; what went out is returned to be recorded, so it
 * is not sent again on a retry or a replay. Each notice is keyed by the message and its kind, so
 * one message may say two things to one person.
 */
async function deliverOne(m: OutboxMessage, facts: DeliveryFacts, ch: Channels): Promise<Outcome> {
  const p: { customerId?: string; technicianId?: string | null; orderId?: string } = m.payload;
  const customerId = text(p.customerId);
  const technicianId = text(p.technicianId);
  const orderId = text(p.orderId);
  const timeZone = orderId ? facts.timeZones.get(orderId) : undefined;
  const notices = noticesFor(m, timeZone);
  const out: Outcome = { done: { notices: notices.length, inapp: 0, push: 0, sms: 0, wechat: 0 }, inapp: [], sent: [], refused: [] };
  const to = (a: Audience): Recipient | undefined =>
    a === "customer"
      ? customerId
        ? facts.customers.get(customerId)
        : undefined
      : technicianId
        ? facts.technicians.get(technicianId)
        : undefined;
  const keyOf = (kind: string) => `${m.id}#${kind}`;
  const delivered = (r: Recipient, channel: string, kind: string) => facts.delivered.has(`${m.id}:${r.accountId}:${channel}:${kind}`);

  for (const n of notices) {
    const r = to(n.audience);
    if (r && n.channels.includes("inapp")) {
      out.inapp.push({
        id: newId("ntf"),
        accountId: r.accountId,
        kind: n.kind,
        title: n.title,
        body: n.body,
        data: n.data,
        sourceId: keyOf(n.kind),
      });
    }
  }
  /** Runs one channel's send; a failure is kept for the end so the other channels still go out. */
  const attempt = async (channel: "push" | "sms" | "wechat", n: Notice, send: () => Promise<boolean | void>) => {
    try {
      return (await send()) !== false;
    } catch (err) {
      if (isPermanentRefusal(err)) out.refused.push(`${channel} ${n.kind} to the ${n.audience}: ${(err as Error).message}`);
      else out.retry ??= err;
      return false;
    }
  };
  const wechat = ch.wechat && "broken" in ch.wechat ? null : ch.wechat;
  // A WeChat misconfiguration must not hold back the other channels: the message is retried after them.
  if (ch.wechat && "broken" in ch.wechat && notices.some((n) => ch.wechatKinds.has(n.kind))) out.retry ??= ch.wechat.broken;
  for (const n of notices) {
    const r = to(n.audience);
    if (!r) continue;
    const key = keyOf(n.kind);
    if (n.channels.includes("push") && !delivered(r, "push", n.kind)) {
      const ok = await attempt("push", n, () =>
        ch.push.send({ accountId: r.accountId, title: n.title.zh, body: n.body.zh, data: { kind: n.kind, ...n.data } }),
      );
      if (ok) {
        out.sent.push({ messageId: key, accountId: r.accountId, channel: "push", kind: n.kind });
        out.done.push += 1;
      }
    }
    if (n.channels.includes("sms") && !delivered(r, "sms", n.kind)) {
      const ok = await attempt("sms", n, async () => {
        const phone = await (await ch.pii()).decrypt("phone", r.phoneEnc);
        await ch.sms.send(phone, { kind: n.kind, params: smsParams(n), text: `【Doorstep】${n.title.zh}：${n.body.zh}` });
      });
      if (ok) {
        out.sent.push({ messageId: key, accountId: r.accountId, channel: "sms", kind: n.kind });
        out.done.sms += 1;
      }
    }
    const route = wechat?.route(r.accountId, n.kind);
    if (wechat && route && !delivered(r, "wechat", n.kind)) {
      // A refusal that repeating cannot cure is logged and skipped by sendBySubscribe; what it throws is retried.
      const ok = await attempt("wechat", n, () => sendBySubscribe(wechat, route, n, { messageId: m.id, accountId: r.accountId }, timeZone));
      if (ok) {
        out.sent.push({ messageId: key, accountId: r.accountId, channel: "wechat", kind: n.kind });
        out.done.wechat += 1;
      }
    }
  }
  out.done.inapp = out.inapp.length;
  return out;
}

function isEnvelope(v: unknown): v is OutboxEnvelope {
  const o = v as Partial<OutboxEnvelope> | null;
  return !!o && typeof o.id === "string" && typeof o.topic === "string" && typeof o.payload === "object" && o.payload !== null;
}

/** A message of the batch that names people or may move a virtual number. */
interface Work {
  msg: Message<unknown>;
  message: OutboxMessage;
  notices: Notice[];
  followsNumber: boolean;
}

/**
 * The `doorstep-notifications` consumer, one queue batch at a time: one D1 read for the whole
 * batch, the channels, one D1 write batch. Each message is settled on its own: one that fails is
 * retried later (10 s, doubling, at most 10 min) without holding back the rest of the batch.
 * Nothing is acknowledged before the write: when it fails, the whole batch is retried.
 */
export async function consumeNotifications(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = getDb(env);
  const cfg = config(env);
  const now = Date.now();
  const writes: DeliveryWrites = { inapp: [], sent: [], failures: [], deadLetters: [], staleDevices: [], taken: [] };
  const settle: (() => void)[] = [];
  const work: Work[] = [];
  // Messages integrators may hear: handed to the webhooks queue, whose consumer fans them out.
  const forward: OutboxMessage[] = [];
  for (const msg of batch.messages) {
    if (isReadinessProbe(msg.body)) {
      // /readyz proving the producer: nothing to deliver, nothing to write.
      settle.push(() => msg.ack());
      continue;
    }
    if (isEnvelope(msg.body) && !OUTBOX_TOPICS.has(msg.body.topic)) {
      // Topics that are not for people: only marked sent.
      writes.taken.push(msg.body.id);
      settle.push(() => msg.ack());
      continue;
    }
    const parsed = outboxMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Nothing can ever deliver it: straight to the operators, not round the retry loop.
      const body = isEnvelope(msg.body) ? msg.body : null;
      const error = `not a valid outbox message: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; ")}`;
      log("error", "notification.invalid", { id: body?.id ?? null, topic: body?.topic ?? null, error });
      writes.deadLetters.push({
        id: body?.id ?? `msg_malformed${msg.id.replace(/[^0-9A-Za-z]/g, "")}`,
        topic: body?.topic ?? "malformed",
        payload: body?.payload ?? { body: msg.body as unknown },
        error,
        attempts: msg.attempts,
      });
      settle.push(() => msg.ack());
      continue;
    }
    const message = parsed.data;
    writes.taken.push(message.id);
    forward.push(message);
    const followsNumber = message.topic === "order.status" && followsOrderNumber(env, message.payload);
    const notices = noticesFor(message);
    if (notices.length === 0 && !followsNumber) {
      settle.push(() => msg.ack());
      continue;
    }
    work.push({ msg, message, notices, followsNumber });
  }

  try {
    const facts = work.length > 0 ? await deliverBatch(env, cfg, work, writes, settle, now) : undefined;
    // Before the write that marks them taken: a failed hand-off retries the batch (the fan-out is
    // idempotent). Not when the batch's read found no webhook subscription: no one hears them.
    if (!facts || facts.webhooks) await forwardEvents(env, forward);
    const statements = deliveryWrites(db, writes, now);
    // The batch's queue lag joins the batch's own write (no round trip of its own); a batch of
    // readiness probes alone writes nothing.
    if (batch.messages.some((m) => !isReadinessProbe(m.body))) {
      statements.push(countStatement(env, { name: METRICS.queueLag, cityId: null, value: batchLag(batch, now) }, now));
    }
    if (statements.length > 0) await runBatch(db, statements);
  } catch (err) {
    // Nothing of the batch was recorded: all of it again later (what went out is sent again: at least once).
    log("error", "notification.batch_failed", { messages: batch.messages.length, error: String(err) });
    for (const msg of batch.messages) msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
    return;
  }
  for (const s of settle) s();
  // The operators' live map hears of every status change (best effort; never fails the batch).
  await pushOrderChanges(
    env,
    forward.filter((m) => m.topic === "order.status").map((m) => m.payload as unknown as OrderChange),
  );
  // Refused for good (or unreadable): parked with the dead letters, so the operators hear of it.
  if (writes.deadLetters.length > 0) {
    const first = writes.deadLetters[0]!;
    await alertDeadLetter(env, NOTIFICATIONS_QUEUE, { id: first.id, topic: first.topic }, now);
  }
}

/** Reads what `work` needs in one statement, delivers each message, and adds what happened to `writes`. */
async function deliverBatch(
  env: Env,
  cfg: ReturnType<typeof config>,
  work: Work[],
  writes: DeliveryWrites,
  settle: (() => void)[],
  now: number,
): Promise<DeliveryFacts> {
  const payloads = work.map((w) => w.message.payload as { customerId?: string; technicianId?: string | null; orderId?: string });
  const people = work.filter((w) => w.notices.length > 0);
  const kinds = new Set(people.flatMap((w) => w.notices.map((n) => n.kind)));
  let wechatApp: string | null = null;
  let wechatBroken: unknown;
  try {
    wechatApp = subscribeAppFor(env, kinds);
  } catch (err) {
    wechatBroken = err;
  }
  const facts = await deliveryFacts(getDb(env), {
    messageIds: work.map((w) => w.message.id),
    customerIds: payloads.flatMap((p) => text(p.customerId) ?? []),
    technicianIds: payloads.flatMap((p) => text(p.technicianId) ?? []),
    orderIds: payloads.flatMap((p) => text(p.orderId) ?? []),
    devices: people.length > 0 && cfg.PUSH_PROVIDER === "live",
    wechatAppid: wechatApp,
    numberOrderIds: work.flatMap((w) => (w.followsNumber ? [(w.message.payload as { orderId: string }).orderId] : [])),
  });
  const registry: DeviceRegistry = {
    devices: (accountId) => Promise.resolve(facts.devices.get(accountId) ?? []),
    dropStale: (ids) => {
      writes.staleDevices.push(...ids);
      return Promise.resolve();
    },
  };
  let pii: Promise<Pii> | undefined;
  const channels: Channels = {
    push: pushSender(cfg, registry),
    sms: smsSender(cfg),
    wechat: wechatBroken !== undefined ? { broken: wechatBroken } : wechatApp ? subscribeChannel(env, facts.wechat) : null,
    wechatKinds: new Set(Object.keys(cfg.WECHAT_SUBSCRIBE_TEMPLATES)),
    pii: () => (pii ??= Pii.fromEnv(env)),
  };

  // What went out, one line for the batch (a log line costs the Worker more than most of a delivery).
  const delivered: ({ id: string; topic: string } & Delivered)[] = [];
  for (const { msg, message, followsNumber } of work) {
    if (!facts.rows.has(message.id)) {
      // Collected by a write that did not happen (its guard failed, its batch was refused): nothing to tell.
      log("warn", "notification.dropped", { id: message.id, topic: message.topic, reason: "no outbox row" });
      settle.push(() => msg.ack());
      continue;
    }
    if (followsNumber && message.topic === "order.status") {
      // A virtual number follows the order's technician (never throws; the cron retries); no call unless there is work.
      const known = facts.numbers.get(message.payload.orderId);
      await followOrderNumber(
        env,
        message.payload,
        { order: known ? { ...known.order, status: known.order.status as OrderStatus } : undefined, bindings: known?.bindings ?? [] },
        now,
      );
    }
    const outcome = await deliverOne(message, facts, channels);
    // What went out is recorded even when another channel failed: a retry or a replay skips it.
    writes.inapp.push(...outcome.inapp);
    writes.sent.push(...outcome.sent);
    if (outcome.retry !== undefined) {
      const delaySeconds = retryDelaySeconds(msg.attempts);
      const error = String(outcome.retry);
      log("warn", "notification.retry", { id: message.id, topic: message.topic, attempts: msg.attempts, delaySeconds, error });
      writes.failures.push({ id: message.id, attempts: msg.attempts, error });
      settle.push(() => msg.retry({ delaySeconds }));
    } else if (outcome.refused.length > 0) {
      // Sending it again would be refused again: to the operators now, with the provider's reasons.
      const error = new DeliveryRefused(outcome.refused).message;
      log("error", "notification.refused", { id: message.id, topic: message.topic, error });
      writes.failures.push({ id: message.id, attempts: msg.attempts, error });
      writes.deadLetters.push({ id: message.id, topic: message.topic, payload: message.payload, error, attempts: msg.attempts });
      settle.push(() => msg.ack());
    } else {
      delivered.push({ id: message.id, topic: message.topic, ...outcome.done });
      settle.push(() => msg.ack());
    }
  }
  if (delivered.length > 0) log("info", "notifications.delivered", { count: delivered.length, messages: delivered });
  return facts;
}

/** The `doorstep-notifications-dlq` consumer: keeps every message the queue gave up on. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = getDb(env);
  for (const msg of batch.messages) {
    const body = isEnvelope(msg.body) ? msg.body : null;
    const id = body?.id ?? `msg_dead${msg.id.replace(/[^0-9A-Za-z]/g, "")}`;
    const source = body ? await findMessage(db, body.id) : undefined;
    await insertDeadLetter(db, {
      id,
      topic: body?.topic ?? "malformed",
      payload: body?.payload ?? { body: msg.body as unknown },
      error: source?.lastError ?? "delivery kept failing",
      attempts: Math.max(source?.attempts ?? 0, msg.attempts),
    });
    logger.error("notification.dead_letter", { id, topic: body?.topic ?? null });
    await alertDeadLetter(env, NOTIFICATIONS_QUEUE, { id, topic: body?.topic ?? null });
    msg.ack();
  }
}
