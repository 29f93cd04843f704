/**
 * Outside channels: text messages (OTP codes, important notices) and push notifications. Each has
 * a `console` provider that writes to the Worker log (local development) and a `webhook` provider
 * that posts JSON to an HTTP gateway of the operator's choice (an SMS aggregator, a push service).
 * Text messages also go through Aliyun or Tencent Cloud SMS, as approved templates; push notices
 * also go to each registered device through its provider (`live`: JPush or FCM).
 * A provider that fails throws; the caller decides whether to retry.
 */
import type { Config } from "../config";
import { maskPhone } from "../domain/phone";
import { configured, type SmsSender } from "./sms";
import { aliyunSms } from "./sms-aliyun";
import { tencentSms } from "./sms-tencent";
import { devicePush, PushError, type PushConfig, type PushDevice } from "./push";
import { logger } from "../lib/log";

export { SmsError, type SmsMessage, type SmsSender } from "./sms";
export { PushError, type PushDevice } from "./push";

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
> &
  Parameters<typeof aliyunSms>[0] &
  Parameters<typeof tencentSms>[0] &
  PushConfig;

/** Where `live` push finds an account's devices, and how it drops those whose tokens went stale. */
export interface DeviceRegistry {
  devices(accountId: string): Promise<PushDevice[]>;
  dropStale(deviceIds: string[]): Promise<void>;
}

/** Posts `body` as JSON; anything but a 2xx answer is a failure. */
async function postJson(url: string, token: string | undefined, body: unknown): Promise<void> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  // Drain the body so the connection is released, whatever the answer.
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`gateway answered ${res.status}`);
}

export function smsSender(env: ChannelConfig): SmsSender {
  const provider = env.SMS_PROVIDER;
  if (provider === "console") {
    return {
      // The log is no place for a phone number or a code: a masked number and the kind only.
      send: (phone, message) => {
        logger.info("sms", { provider: "console", to: maskPhone(phone), kind: message.kind });
        return Promise.resolve();
      },
    };
  }
  if (provider === "webhook") {
    const url = configured(env.SMS_WEBHOOK_URL, "SMS_WEBHOOK_URL");
    return {
      send: (phone, m) => postJson(url, env.SMS_WEBHOOK_TOKEN, { to: phone, text: m.text, kind: m.kind, params: m.params }),
    };
  }
  if (provider === "aliyun") return aliyunSms(env);
  if (provider === "tencent") return tencentSms(env);
  throw new Error(`unknown SMS_PROVIDER ${String(provider)}`);
}

export function pushSender(env: ChannelConfig, registry?: DeviceRegistry): PushSender {
  const provider = env.PUSH_PROVIDER;
  if (provider === "console") {
    return {
      send: (m) => {
        // The account and the kind only: a notice's text may quote what people typed (a reason, a name).
        logger.info("push", { provider: "console", to: m.accountId, kind: m.data.kind ?? null });
        return Promise.resolve();
      },
    };
  }
  if (provider === "webhook") {
    const url = configured(env.PUSH_WEBHOOK_URL, "PUSH_WEBHOOK_URL");
    return { send: (m) => postJson(url, env.PUSH_WEBHOOK_TOKEN, { alias: m.accountId, title: m.title, body: m.body, data: m.data }) };
  }
  if (provider === "live") {
    if (!registry) throw new Error("PUSH_PROVIDER=live needs the device registry");
    const live = devicePush(env);
    return {
      // Every device is tried; stale tokens are dropped, then the first retryable failure is thrown
      // (the queue sends again). A device that refused the message for good is logged and skipped;
      // when no device took it and one refused it for good, that refusal is thrown (not retried).
      send: async (m) => {
        const stale: string[] = [];
        const refused: string[] = [];
        let delivered = 0;
        let retry: PushError | undefined;
        for (const device of await registry.devices(m.accountId)) {
          try {
            if ((await live.send(device, m)) === "stale") stale.push(device.id);
            else delivered += 1;
          } catch (err) {
            const e = err instanceof PushError ? err : new PushError(String(err instanceof Error ? err.message : err), true);
            if (e.retryable) retry ??= e;
            else {
              refused.push(e.message);
              logger.warn("push.refused", { provider: device.provider, device: device.id, error: e.message });
            }
          }
        }
        await registry.dropStale(stale);
        if (retry) throw retry;
        if (delivered === 0 && refused.length > 0) throw new PushError(refused.join("; "), false);
      },
    };
  }
  throw new Error(`unknown PUSH_PROVIDER ${String(provider)}`);
}
