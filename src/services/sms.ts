/** Sends text messages; the only provider built in prints to the Worker log (local development). */
export interface SmsSender {
  send(phone: string, text: string): Promise<void>;
}

class ConsoleSms implements SmsSender {
  send(phone: string, text: string): Promise<void> {
    console.log(JSON.stringify({ level: "info", msg: "sms", provider: "console", to: phone, text }));
    return Promise.resolve();
  }
}

export function smsSender(env: { SMS_PROVIDER?: string }): SmsSender {
  const provider = env.SMS_PROVIDER || "console";
  if (provider === "console") return new ConsoleSms();
  throw new Error(`unknown SMS_PROVIDER ${provider}`);
}
