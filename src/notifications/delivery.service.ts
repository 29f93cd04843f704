/**
 * The notifications queue's consumer: each outbox message becomes in-app notices and, where the
 * notice calls for it, a push and a text message, and a WeChat subscribe message where one is
 * configured for its kind (`WECHAT_NOTIFY=live`). Delivery is idempotent per message, account and
 * channel, so a message the queue delivers twice (or an operator replays) is never sent twice.
 * A message that keeps failing is retried with backoff and then parked in the dead-letter queue,
 * whose consumer keeps it for operators to replay.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import {
  deliveryContext,
  findMessage,
  insertDeadLetter,
  recordDelivered,
  recordFailure,
  type Recipient,
} from "../db/repositories/notifications.repo";
import { noticesFor, retryDelaySeconds, type Audience, type Notice, type OutboxEnvelope } from "../domain/notifications";
import { OUTBOX_TOPICS, outboxMessage, type OutboxMessage } from "../domain/outbox";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { pushSender, smsSender, type DeviceRegistry } from "../adapters/channels";
import { deleteDevicesById, listDevices } from "../db/repositories/devices.repo";
import { sendBySubscribe, subscribeChannel } from "./wechat-subscribe.service";
import { followOrderNumber } from "../visit/number-privacy.service";

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

/**
 * Delivers one message on every channel its notices name. Throws when a channel fails; what went
 * out before the failure is recorded and is not sent again on the retry. Each notice is keyed by
 * the message and its kind, so one message may say two things to one person.
 */
export async function deliverMessage(env: Env, m: OutboxMessage): Promise<Delivered> {
  // Topics that are not for people cost nothing.
  if (noticesFor(m).length === 0) return { notices: 0, inapp: 0, push: 0, sms: 0, wechat: 0 };
  const db = getDb(env);
  const p: { customerId?: string; technicianId?: string | null; orderId?: string } = m.payload;
  const found = await deliveryContext(db, {
    customerId: text(p.customerId),
    technicianId: text(p.technicianId),
    orderId: text(p.orderId),
    messageId: m.id,
  });
  const notices = noticesFor(m, found.timeZone);
  const done: Delivered = { notices: notices.length, inapp: 0, push: 0, sms: 0, wechat: 0 };
  const to = (a: Audience): Recipient | undefined => (a === "customer" ? found.customer : found.technician);
  const keyOf = (kind: string) => `${m.id}#${kind}`;

  const inapp = notices.flatMap((n) => {
    const r = to(n.audience);
    return r && n.channels.includes("inapp")
      ? [{ id: newId("ntf"), accountId: r.accountId, kind: n.kind, title: n.title, body: n.body, data: n.data, sourceId: keyOf(n.kind) }]
      : [];
  });
  const sent: { messageId: string; accountId: string; channel: "push" | "sms" | "wechat"; kind: string }[] = [];
  const registry: DeviceRegistry = { devices: (accountId) => listDevices(db, accountId), dropStale: (ids) => deleteDevicesById(db, ids) };
  const push = pushSender(config(env), registry);
  const sms = smsSender(config(env));
  let pii: Pii | undefined;
  try {
    // Inside the try: a WeChat misconfiguration must not hold back the in-app notices.
    const wechat = await subscribeChannel(
      env,
      db,
      notices.flatMap((n) => {
        const r = to(n.audience);
        return r ? [{ accountId: r.accountId, kind: n.kind }] : [];
      }),
    );
    for (const n of notices) {
      const r = to(n.audience);
      if (!r) continue;
      const key = keyOf(n.kind);
      if (n.channels.includes("push") && !found.delivered.has(`${r.accountId}:push:${n.kind}`)) {
        await push.send({ accountId: r.accountId, title: n.title.zh, body: n.body.zh, data: { kind: n.kind, ...n.data } });
        sent.push({ messageId: key, accountId: r.accountId, channel: "push", kind: n.kind });
        done.push += 1;
      }
      if (n.channels.includes("sms") && !found.delivered.has(`${r.accountId}:sms:${n.kind}`)) {
        pii ??= await Pii.fromEnv(env);
        const phone = await pii.decrypt("phone", r.phoneEnc);
        await sms.send(phone, { kind: n.kind, params: smsParams(n), text: `【Doorstep】${n.title.zh}：${n.body.zh}` });
        sent.push({ messageId: key, accountId: r.accountId, channel: "sms", kind: n.kind });
        done.sms += 1;
      }
      const route = wechat?.route(r.accountId, n.kind);
      if (wechat && route && !found.delivered.has(`${r.accountId}:wechat:${n.kind}`)) {
        if (await sendBySubscribe(wechat, route, n, { messageId: m.id, accountId: r.accountId }, found.timeZone)) {
          sent.push({ messageId: key, accountId: r.accountId, channel: "wechat", kind: n.kind });
          done.wechat += 1;
        }
      }
    }
  } finally {
    // What went out is recorded even when a later channel failed: the retry skips it.
    await recordDelivered(db, inapp, sent);
  }
  done.inapp = inapp.length;
  return done;
}

function isEnvelope(v: unknown): v is OutboxEnvelope {
  const o = v as Partial<OutboxEnvelope> | null;
  return !!o && typeof o.id === "string" && typeof o.topic === "string" && typeof o.payload === "object" && o.payload !== null;
}

/**
 * The `doorstep-notifications` consumer. Each message is settled on its own: one that fails is
 * retried later (10 s, doubling, at most 10 min) without holding back the rest of the batch.
 */
export async function consumeNotifications(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    if (isEnvelope(msg.body) && !OUTBOX_TOPICS.has(msg.body.topic)) {
      // Topics that are not for people cost nothing.
      msg.ack();
      continue;
    }
    const parsed = outboxMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Nothing can ever deliver it: straight to the operators, not round the retry loop.
      const body = isEnvelope(msg.body) ? msg.body : null;
      const error = `not a valid outbox message: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; ")}`;
      console.error(
        JSON.stringify({ level: "error", msg: "notification.invalid", id: body?.id ?? null, topic: body?.topic ?? null, error }),
      );
      await insertDeadLetter(getDb(env), {
        id: body?.id ?? `msg_malformed${msg.id.replace(/[^0-9A-Za-z]/g, "")}`,
        topic: body?.topic ?? "malformed",
        payload: body?.payload ?? { body: msg.body as unknown },
        error,
        attempts: msg.attempts,
      });
      msg.ack();
      continue;
    }
    const message = parsed.data;
    // A virtual number follows the order's technician (never throws; the cron retries).
    if (message.topic === "order.status") await followOrderNumber(env, message.payload);
    try {
      const done = await deliverMessage(env, message);
      console.log(JSON.stringify({ level: "info", msg: "notification.delivered", id: message.id, topic: message.topic, ...done }));
      msg.ack();
    } catch (err) {
      const delaySeconds = retryDelaySeconds(msg.attempts);
      console.error(
        JSON.stringify({
          level: "warn",
          msg: "notification.retry",
          id: message.id,
          topic: message.topic,
          attempts: msg.attempts,
          delaySeconds,
          error: String(err),
        }),
      );
      await recordFailure(getDb(env), message.id, msg.attempts, String(err)).catch(() => undefined);
      msg.retry({ delaySeconds });
    }
  }
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
    console.error(JSON.stringify({ level: "error", msg: "notification.dead_letter", id, topic: body?.topic ?? null }));
    msg.ack();
  }
}
