/**
 * Outside channels: text messages (OTP codes, important notices) and push notifications. Each has
 * a `console` provider that writes to the Worker log (local development) and a `webhook` provider
 * that posts JSON to an HTTP gateway of the operator's choice (an SMS aggregator, a push service).
 * A provider that fails throws; the caller decides whether to retry.
 */
import type { Config } from "../config";

export interface SmsSender {
  send(phone: string, text: string): Promise<void>;
}

export interface PushMessage {
  /** The account the device is registered under (the push service's alias). */
  accountId: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
}

export interface PushSender {
  send(message: PushMessage): Promise<void>;
}

type ChannelConfig = Pick<
  Config,
  "SMS_PROVIDER" | "SMS_WEBHOOK_URL" | "SMS_WEBHOOK_TOKEN" | "PUSH_PROVIDER" | "PUSH_WEBHOOK_URL" | "PUSH_WEBHOOK_TOKEN"
>;

/** Posts `body` as JSON; anything but a 2xx answer is a failure. */
async function postJson(url: string, token: string | undefined, body: unknown): Promise<void> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  // Drain the body so the connection is released, whatever the answer.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`gateway answered ${res.status}`);
}

function configured(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function smsSender(env: ChannelConfig): SmsSender {
  const provider = env.SMS_PROVIDER;
  if (provider === "console") {
    return {
      send: (phone, text) => {
        console.log(JSON.stringify({ level: "info", msg: "sms", provider: "console", to: phone, text }));
        return Promise.resolve();
      },
    };
  }
  if (provider === "webhook") {
    const url = configured(env.SMS_WEBHOOK_URL, "SMS_WEBHOOK_URL");
    return { send: (phone, text) => postJson(url, env.SMS_WEBHOOK_TOKEN, { to: phone, text }) };
  }
  throw new Error(`unknown SMS_PROVIDER ${String(provider)}`);
}

export function pushSender(env: ChannelConfig): PushSender {
  const provider = env.PUSH_PROVIDER;
  if (provider === "console") {
    return {
      send: (m) => {
        console.log(JSON.stringify({ level: "info", msg: "push", provider: "console", to: m.accountId, title: m.title, body: m.body }));
        return Promise.resolve();
      },
    };
  }
  if (provider === "webhook") {
    const url = configured(env.PUSH_WEBHOOK_URL, "PUSH_WEBHOOK_URL");
    return { send: (m) => postJson(url, env.PUSH_WEBHOOK_TOKEN, { alias: m.accountId, title: m.title, body: m.body, data: m.data }) };
  }
  throw new Error(`unknown PUSH_PROVIDER ${String(provider)}`);
}
