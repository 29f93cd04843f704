/**
 * What every text-message provider shares: the message (a kind that picks an approved template,
 * and the named values it fills in), the failure a provider reports, and how a provider is called.
 * Mainland providers only send templates they approved beforehand, never free text.
 */
import type { Config } from "../config";

export interface SmsMessage {
  /** What the message is about (`otp`, `order.cancelled`, `reminder.1h`, …): picks the template. */
  kind: string;
  /** Named values the template fills in, e.g. `{ code: "123456", minutes: "5" }`. */
  params: Record<string, string>;
  /** The same message as plain text, for gateways that take free text (`webhook`). */
  text: string;
}

export interface SmsSender {
  send(phone: string, message: SmsMessage): Promise<void>;
}

/**
 * A message that did not go out. `retryable` is true when the provider may accept the same
 * message later (a 5xx answer, a network failure), false when it refused it (a template not
 * approved, a parameter missing): sending it again unchanged fails again.
 */
export class SmsError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "SmsError";
  }
}

export type SmsTemplates = Config["SMS_TEMPLATES"];

/** The approved template of `message.kind` at `provider`, and its parameters in template order. */
export function templateFor(
  templates: SmsTemplates,
  provider: "aliyun" | "tencent",
  message: SmsMessage,
): { code: string; params: [name: string, value: string][] } {
  const template = templates[message.kind];
  const code = template?.[provider];
  if (!template || !code) throw new SmsError(`no ${provider} SMS template for "${message.kind}" in SMS_TEMPLATES`, false);
  const params = template.params.map((name): [string, string] => {
    const value = message.params[name];
    if (value === undefined) throw new SmsError(`SMS template for "${message.kind}" names an unknown parameter "${name}"`, false);
    return [name, value];
  });
  return { code, params };
}

export function configured(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Calls a provider; a network failure or a 5xx answer is a retryable SmsError. Returns the JSON body. */
export async function callProvider(provider: string, url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    // Only the error's name: its message may quote the URL, and Aliyun's query holds the parameters.
    throw new SmsError(`${provider} SMS unreachable (${err instanceof Error ? err.name : "network error"})`, true);
  }
  const text = await res.text().catch(() => "");
  if (res.status >= 500) throw new SmsError(`${provider} SMS answered ${res.status}`, true);
  try {
    return { status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new SmsError(`${provider} SMS answered ${res.status} without JSON`, false);
  }
}
