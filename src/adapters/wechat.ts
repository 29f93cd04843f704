/**
 * WeChat's server API (`WECHAT_API_BASE`, api.weixin.qq.com) for the mini program: `code2session`
 * at sign-in, the stable access token, and subscribe messages (订阅消息).
 *
 * WeChat answers most failures with HTTP 200 and an `errcode`. Its answers are not signed (TLS is
 * what vouches for them), so this client's part is to present the app's credentials correctly and
 * to read the errcodes right: a refusal of the request (a bad login code, a user who did not
 * subscribe) is not retried, a busy server (-1, 5xx, a timeout) is. The AppSecret, login codes,
 * session keys and access tokens never appear in an error message or a log line: the URLs that
 * carry them are never printed.
 */
import type { Config } from "../config";
import { ProviderError } from "./provider-error";

export type WechatConfig = Pick<
  Config,
  "WECHAT_API_BASE" | "WECHAT_MINIPROGRAM_APPID" | "WECHAT_MINIPROGRAM_SECRET" | "WECHATPAY_APPID" | "WECHAT_MINIPROGRAM_STATE"
>;

/** The errcodes this client tells apart (WeChat's global return codes). */
export const WECHAT_ERRCODES = {
  busy: -1,
  invalidCredential: 40001,
  invalidToken: 40014,
  tokenExpired: 42001,
  invalidCode: 40029,
  codeUsed: 40163,
  riskyUser: 40226,
  notSubscribed: 43101,
  dailyQuota: 45009,
  minuteQuota: 45011,
} as const;

/** Worth asking again later: WeChat was busy or a call quota ran out. */
const RETRYABLE = new Set<number>([WECHAT_ERRCODES.busy, WECHAT_ERRCODES.dailyQuota, WECHAT_ERRCODES.minuteQuota]);
/** The access token is invalid or expired: fetch it again and repeat the call once. */
const TOKEN_REFUSED = new Set<number>([WECHAT_ERRCODES.invalidCredential, WECHAT_ERRCODES.invalidToken, WECHAT_ERRCODES.tokenExpired]);

const TIMEOUT_MS = 10_000;

const base = (cfg: WechatConfig) => cfg.WECHAT_API_BASE.replace(/\/+$/, "");

/**
 * The mini program's credentials; null when WeChat is not configured. Its appid defaults to
 * WECHATPAY_APPID: JSAPI payments and merchant transfers need the payer's openid under the appid
 * WeChat Pay is called with, so a mini program that pays is normally that same app.
 */
export function miniProgram(cfg: WechatConfig): { appid: string; secret: string } | null {
  const appid = cfg.WECHAT_MINIPROGRAM_APPID || cfg.WECHATPAY_APPID;
  if (!appid || !cfg.WECHAT_MINIPROGRAM_SECRET) return null;
  return { appid, secret: cfg.WECHAT_MINIPROGRAM_SECRET };
}

function requireApp(cfg: WechatConfig) {
  const app = miniProgram(cfg);
  if (!app) throw new ProviderError("WeChat is not configured (WECHAT_MINIPROGRAM_SECRET)", false, null, "not_configured");
  return app;
}

/** One call; `what` names it in errors (never the URL: its query may hold the secret or a code). */
async function call(what: string, url: string, init: RequestInit): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new ProviderError(`WeChat ${what} unreachable (${err instanceof Error ? err.name : "network error"})`, true);
  }
  const text = await res.text().catch(() => "");
  if (res.status >= 500) throw new ProviderError(`WeChat ${what} answered ${res.status}`, true, res.status);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's error page rather than WeChat's API: try again later.
    throw new ProviderError(`WeChat ${what} answered ${res.status} without JSON`, true, res.status);
  }
  if (typeof body !== "object" || body === null) throw new ProviderError(`WeChat ${what} answered an unexpected body`, true, res.status);
  return body as Record<string, unknown>;
}

/** The answer's errcode (0 when it has none). */
const errcodeOf = (body: Record<string, unknown>) => (typeof body.errcode === "number" ? body.errcode : 0);

/** A non-zero errcode: retryable when WeChat was busy or a quota ran out. */
function refused(what: string, errcode: number): ProviderError {
  return new ProviderError(`WeChat ${what} answered errcode ${errcode}`, RETRYABLE.has(errcode), null, String(errcode));
}

// ——— sign-in ———

export interface WechatIdentity {
  appid: string;
  openid: string;
  unionid: string | null;
}

/**
 * Exchanges a mini program's login code (`wx.login`) for the person's openid and unionid
 * (GET /sns/jscode2session). The session key WeChat also returns is dropped here: nothing needs
 * it, so it is never kept, stored or logged. Throws ProviderError: code "40029"/"40163" for a bad
 * or used code, "40226" for a user WeChat blocks, retryable for a busy WeChat.
 */
export async function code2session(cfg: WechatConfig, code: string): Promise<WechatIdentity> {
  const app = requireApp(cfg);
  const query = new URLSearchParams({ appid: app.appid, secret: app.secret, js_code: code, grant_type: "authorization_code" });
  const body = await call("code2session", `${base(cfg)}/sns/jscode2session?${query.toString()}`, { method: "GET" });
  const errcode = errcodeOf(body);
  if (errcode !== 0) throw refused("code2session", errcode);
  if (typeof body.openid !== "string" || body.openid === "") throw new ProviderError("WeChat code2session answered no openid", true);
  return { appid: app.appid, openid: body.openid, unionid: typeof body.unionid === "string" && body.unionid ? body.unionid : null };
}

// ——— the stable access token ———

/**
 * Access tokens of this isolate, per API base and appid. The stable token (POST /cgi-bin/stable_token,
 * force_refresh false) is the same for every caller while it is valid, so isolates that each fetch
 * their own never invalidate one another; keeping it in D1 as well would only put a credential at
 * rest to save one call per isolate every two hours.
 */
const tokens = new Map<string, Promise<{ value: string; expiresAt: number }>>();

/** A token is renewed this long before it expires (WeChat itself renews stable tokens 5 minutes early). */
const EARLY_MS = 300_000;

async function fetchToken(cfg: WechatConfig, app: { appid: string; secret: string }) {
  const body = await call("stable_token", `${base(cfg)}/cgi-bin/stable_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credential", appid: app.appid, secret: app.secret, force_refresh: false }),
  });
  const errcode = errcodeOf(body);
  if (errcode !== 0) throw refused("stable_token", errcode);
  if (typeof body.access_token !== "string" || typeof body.expires_in !== "number") {
    throw new ProviderError("WeChat stable_token answered no access token", true);
  }
  const lifetime = body.expires_in * 1000;
  // Used until shortly before it expires; a very short-lived token for at most half its life.
  return { value: body.access_token, expiresAt: Date.now() + lifetime - Math.min(EARLY_MS, lifetime / 2) };
}

/** The app's access token: cached, fetched again near its expiry (one fetch for concurrent callers). */
export async function accessToken(cfg: WechatConfig): Promise<string> {
  const app = requireApp(cfg);
  const key = `${base(cfg)}|${app.appid}`;
  const entry = tokens.get(key);
  if (entry) {
    const t = await entry.catch(() => null);
    if (t && t.expiresAt > Date.now()) return t.value;
    if (tokens.get(key) !== entry) return accessToken(cfg);
  }
  const next = fetchToken(cfg, app);
  tokens.set(key, next);
  try {
    return (await next).value;
  } catch (err) {
    if (tokens.get(key) === next) tokens.delete(key);
    throw err;
  }
}

/** Forgets `value` if it is still the cached token (another caller may have replaced it already). */
async function forgetToken(cfg: WechatConfig, value: string): Promise<void> {
  const app = requireApp(cfg);
  const key = `${base(cfg)}|${app.appid}`;
  const entry = tokens.get(key);
  if (entry && (await entry.catch(() => null))?.value === value && tokens.get(key) === entry) tokens.delete(key);
}

// ——— subscribe messages ———

export interface SubscribeMessage {
  openid: string;
  templateId: string;
  /** The mini program page the message opens, with its query. */
  page?: string;
  /** Template field key (`thing1`, `time2`, …) → its value. */
  data: Record<string, string>;
  lang: "zh_CN" | "en_US";
}

/** What a send came to: delivered, or not sent because the user has no subscription left (43101). */
export type SubscribeOutcome = "sent" | "not_subscribed";

/** Longest value WeChat accepts per template field type (characters). */
const FIELD_LIMITS: Record<string, number> = {
  thing: 20,
  character_string: 32,
  number: 32,
  letter: 32,
  symbol: 5,
  phrase: 5,
  name: 10,
  phone_number: 17,
  car_number: 8,
};

/** Fits a value to its field's documented length limit (WeChat refuses longer ones with 47003). */
export function fitField(key: string, value: string): string {
  const limit = FIELD_LIMITS[key.replace(/\d+$/, "")];
  const chars = [...value];
  if (limit === undefined || chars.length <= limit) return value;
  return key.startsWith("thing") ? `${chars.slice(0, limit - 1).join("")}…` : chars.slice(0, limit).join("");
}

/**
 * Sends a subscribe message (POST /cgi-bin/message/subscribe/send). A refused access token
 * (40001, 40014, 42001) is fetched again and the send repeated once. 43101 (the user did not
 * subscribe, or used up their one-time subscription) answers "not_subscribed": sending again would
 * not help. Anything else throws ProviderError, retryable when WeChat was busy or unreachable.
 */
export async function sendSubscribeMessage(cfg: WechatConfig, m: SubscribeMessage): Promise<SubscribeOutcome> {
  const payload = JSON.stringify({
    touser: m.openid,
    template_id: m.templateId,
    ...(m.page ? { page: m.page } : {}),
    data: Object.fromEntries(Object.entries(m.data).map(([k, v]) => [k, { value: fitField(k, v) }])),
    miniprogram_state: cfg.WECHAT_MINIPROGRAM_STATE,
    lang: m.lang,
  });
  for (let attempt = 1; ; attempt += 1) {
    const token = await accessToken(cfg);
    const body = await call("subscribe send", `${base(cfg)}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: payload,
    });
    const errcode = errcodeOf(body);
    if (errcode === 0) return "sent";
    if (errcode === WECHAT_ERRCODES.notSubscribed) return "not_subscribed";
    if (TOKEN_REFUSED.has(errcode)) {
      await forgetToken(cfg, token);
      if (attempt === 1) continue;
      throw new ProviderError(`WeChat refused a fresh access token too (errcode ${errcode})`, true, null, String(errcode));
    }
    throw refused("subscribe send", errcode);
  }
}
