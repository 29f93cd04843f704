/**
 * WeChat subscribe messages (订阅消息) as a notification channel: with `WECHAT_NOTIFY=live`, a
 * notice whose kind has a template in `WECHAT_SUBSCRIBE_TEMPLATES` goes to each recipient who bound
 * their WeChat under the mini program, in the language they last used (zh_CN or en_US).
 *
 * A user with no subscription left for the template (43101) is skipped for good: sending again
 * would be refused again. A refused access token is fetched again once (in the adapter); a busy
 * or unreachable WeChat throws, and the queue retries the message. Any other refusal (a template
 * or its data that WeChat does not accept) is logged for operators and skipped.
 */
import { miniProgram, sendSubscribeMessage, type SubscribeOutcome } from "../adapters/wechat";
import { ProviderError } from "../adapters/provider-error";
import { config, type Config } from "../config";
import { yuan, type Notice } from "../domain/notifications";
import { logger } from "../lib/log";

type Template = Config["WECHAT_SUBSCRIBE_TEMPLATES"][string];

export interface SubscribeTarget {
  openid: string;
  lang: "zh" | "en";
}

export interface SubscribeChannel {
  /** The recipient's bound WeChat and the kind's template, when the notice can go by WeChat. */
  route(accountId: string, kind: string): { target: SubscribeTarget; template: Template } | null;
  /** Sends one notice; "not_subscribed" when WeChat had no subscription of the user to use. */
  send(target: SubscribeTarget, template: Template, n: Notice, timeZone: string): Promise<SubscribeOutcome>;
}

/**
 * The values a template field may name, in the recipient's language: `title`, `body`, each text
 * or number of the notice's data (`orderId`, `lead`, …), `when` (the visit's local start time,
 * `2025-12-03 14:30`, when the notice has a `start`) and `price` (`¥128.00`, when it has an `amount`).
 */
export function subscribeParams(n: Notice, lang: "zh" | "en", timeZone: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(n.data)) {
    if (typeof v === "string" || typeof v === "number") params[k] = String(v);
  }
  params.title = n.title[lang];
  params.body = n.body[lang];
  const start = typeof n.data.start === "string" ? Date.parse(n.data.start) : NaN;
  if (Number.isFinite(start)) params.when = wechatTime(start, timeZone);
  if (typeof n.data.amount === "number") params.price = yuan(n.data.amount);
  return params;
}

/** `YYYY-MM-DD HH:mm` in the city's time zone: a form WeChat's `time` fields accept. */
function wechatTime(at: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** `{name}` in a template's page filled from the parameters (URL-encoded). */
function fillPage(page: string, params: Record<string, string>): string {
  return page.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ""));
}

/**
 * The mini program whose WeChat bindings notices of these kinds need, or null when WeChat sends
 * none of them (off, or no kind has a template): then nothing is read. Throws when
 * `WECHAT_NOTIFY=live` lacks the mini program's secret.
 */
export function subscribeAppFor(env: Env, kinds: Iterable<string>): string | null {
  const cfg = config(env);
  if (cfg.WECHAT_NOTIFY !== "live") return null;
  const templates = cfg.WECHAT_SUBSCRIBE_TEMPLATES;
  if (![...kinds].some((k) => templates[k])) return null;
  const app = miniProgram(cfg);
  if (!app) throw new Error("WECHAT_NOTIFY=live needs WECHAT_MINIPROGRAM_SECRET (and an appid)");
  return app.appid;
}

/**
 * The channel for the recipients bound under the app `subscribeAppFor` named (`bound`: openid and
 * language by account, read with the rest of the consumer's batch), or null when nobody is bound.
 */
export function subscribeChannel(env: Env, bound: ReadonlyMap<string, SubscribeTarget>): SubscribeChannel | null {
  if (bound.size === 0) return null;
  const cfg = config(env);
  const templates = cfg.WECHAT_SUBSCRIBE_TEMPLATES;
  return {
    route(accountId, kind) {
      const target = bound.get(accountId);
      const template = templates[kind];
      return target && template ? { target, template } : null;
    },
    async send(target, template, n, timeZone) {
      const params = subscribeParams(n, target.lang, timeZone);
      const data: Record<string, string> = {};
      for (const [field, name] of Object.entries(template.data)) {
        const value = params[name];
        // A template naming a value this notice does not have is a configuration mistake: skipped, logged.
        if (value === undefined || value === "") {
          throw new ProviderError(`the WeChat template of "${n.kind}" names "${name}", which the notice does not have`, false);
        }
        data[field] = value;
      }
      return sendSubscribeMessage(cfg, {
        openid: target.openid,
        templateId: template.templateId,
        ...(template.page ? { page: fillPage(template.page, params) } : {}),
        data,
        lang: target.lang === "en" ? "en_US" : "zh_CN",
      });
    },
  };
}

/**
 * Sends one notice by WeChat and says whether it went out. Skips (false) a user without a
 * subscription and a refusal that repeating cannot cure, logging why; throws what the queue
 * should retry.
 */
export async function sendBySubscribe(
  channel: SubscribeChannel,
  route: { target: SubscribeTarget; template: Template },
  n: Notice,
  ids: { messageId: string; accountId: string },
  timeZone = "Asia/Shanghai",
): Promise<boolean> {
  try {
    const outcome = await channel.send(route.target, route.template, n, timeZone);
    if (outcome === "sent") return true;
    logger.info("wechat.not_subscribed", { id: ids.messageId, account: ids.accountId, kind: n.kind });
    return false;
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) {
      logger.warn("wechat.refused", { id: ids.messageId, account: ids.accountId, kind: n.kind, error: err.message });
      return false;
    }
    throw err;
  }
}
