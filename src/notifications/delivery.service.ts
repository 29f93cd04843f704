/**
 * The notifications queue's consumer: each outbox message becomes in-app notices and, where the
 * notice calls for it, a push and a text message, and a WeChat subscribe message where one is
 * configured for its kind (`WECHAT_NOTIFY=live`). Delivery is idempotent per message, account and
 * channel, so a message the queue delivers twice (or an operator replays) is never sent twice.
 * A message that keeps failing is retried with backoff and then parked in the dead-letter queue,
 * whose consumer keeps it for operators to replay. A provider's permanent refusal (a template not
 * approved, a number or a push it will never take) is not retried: the message is recorded with the
 * dead letters at once, with the provider's reason, and acknowledged.
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
import { pushSender, PushError, smsSender, SmsError, type DeviceRegistry } from "../adapters/channels";
import { ProviderError } from "../adapters/provider-error";
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

/**
 * Delivers one message on every channel its notices name. Every channel is tried even when another
 * fails; what went out is recorded and is not sent again on a retry or a replay. Then it throws
 * the first failure worth retrying, else a `DeliveryRefused` naming each permanent refusal. Each
 * notice is keyed by the message and its kind, so one message may say two things to one person.
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
  let retry: unknown;
  const refused: string[] = [];
  /** Runs one channel's send; a failure is kept for the end so the other channels still go out. */
  const attempt = async (channel: "push" | "sms", n: Notice, send: () => Promise<void>) => {
    try {
      await send();
      return true;
    } catch (err) {
      if (isPermanentRefusal(err)) refused.push(`${channel} ${n.kind} to the ${n.audience}: ${(err as Error).message}`);
      else retry ??= err;
      return false;
    }
  };
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
        const ok = await attempt("push", n, () =>
          push.send({ accountId: r.accountId, title: n.title.zh, body: n.body.zh, data: { kind: n.kind, ...n.data } }),
        );
        if (ok) {
          sent.push({ messageId: key, accountId: r.accountId, channel: "push", kind: n.kind });
          done.push += 1;
        }
      }
      if (n.channels.includes("sms") && !found.delivered.has(`${r.accountId}:sms:${n.kind}`)) {
        const ok = await attempt("sms", n, async () => {
          pii ??= await Pii.fromEnv(env);
          const phone = await pii.decrypt("phone", r.phoneEnc);
          await sms.send(phone, { kind: n.kind, params: smsParams(n), text: `【Doorstep】${n.title.zh}：${n.body.zh}` });
        });
        if (ok) {
          sent.push({ messageId: key, accountId: r.accountId, channel: "sms", kind: n.kind });
          done.sms += 1;
        }
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
    // What went out is recorded even when another channel failed: a retry or a replay skips it.
    await recordDelivered(db, inapp, sent);
  }
  if (retry !== undefined) throw retry;
  if (refused.length > 0) throw new DeliveryRefused(refused);
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
      if (err instanceof DeliveryRefused) {
        // Sending it again would be refused again: to the operators now, with the provider's reasons.
        console.error(
          JSON.stringify({ level: "error", msg: "notification.refused", id: message.id, topic: message.topic, error: err.message }),
        );
        const db = getDb(env);
        await recordFailure(db, message.id, msg.attempts, err.message).catch(() => undefined);
        await insertDeadLetter(db, {
          id: message.id,
          topic: message.topic,
          payload: message.payload,
          error: err.message,
          attempts: msg.attempts,
        });
        msg.ack();
        continue;
      }
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
