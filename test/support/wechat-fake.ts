/**
 * A local fake of WeChat's server API (api.weixin.qq.com) for the endpoints the client uses,
 * keeping their documented contract: GET /sns/jscode2session, POST /cgi-bin/stable_token and
 * POST /cgi-bin/message/subscribe/send. WeChat's answers are not signed, so what the fake checks is
 * our side: the appid and AppSecret on every credential call (40013, 40125), login codes issued by
 * `login` that work once within 5 minutes (40029, 40163), and on every send an access token it
 * issued that has not expired (40001, 42001), the template's fields exactly, WeChat's value length
 * limits (47003), and one subscription of the user per message (43101). Failures are HTTP 200 with
 * an `errcode`, as WeChat answers them. Installed by replacing `globalThis.fetch`: calls to its base
 * URL reach the fake, everything else the real fetch.
 */
import { env } from "cloudflare:test";
import { vi } from "vitest";

export const WECHAT_FAKE_BASE = "https://api.weixin.fake.test";

interface App {
  secret: string;
  /** Issued tokens and when they expire (ms). */
  tokens: Map<string, number>;
  current: string | null;
  /** Template id → its field keys. */
  templates: Map<string, string[]>;
}

interface Code {
  appid: string;
  openid: string;
  unionid: string | null;
  expiresAt: number;
  used: boolean;
}

export interface SentMessage {
  appid: string;
  body: {
    touser: string;
    template_id: string;
    page?: string;
    data: Record<string, { value: string }>;
    miniprogram_state: string;
    lang: string;
  };
}

export interface WechatFaults {
  /** Answer errcode -1 ("system error"), HTTP 200. */
  busy?: boolean;
  /** Answer HTTP 503. */
  serverError?: boolean;
}

/** WeChat's documented value limits per template field type (characters). */
const LIMITS: Record<string, number> = { thing: 20, character_string: 32, number: 32, letter: 32, symbol: 5, phrase: 5, name: 10 };
const LANGS = new Set(["zh_CN", "en_US", "zh_HK", "zh_TW"]);
const STATES = new Set(["developer", "trial", "formal"]);

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const b64 = (bytes: number) => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))));

export class WechatFake {
  apps = new Map<string, App>();
  codes = new Map<string, Code>();
  /** `appid|openid|templateId` → subscriptions left (one-time subscriptions, one message each). */
  subscriptions = new Map<string, number>();
  sent: SentMessage[] = [];
  /** Session keys handed out (a test checks none of them is kept or logged). */
  sessionKeys: string[] = [];
  calls = { code2session: 0, stableToken: 0, send: 0 };
  /** The stable_token requests, without the secret. */
  tokenRequests: { grant_type: unknown; appid: unknown; force_refresh: unknown }[] = [];
  /** errcodes answered, in order. */
  errcodes: number[] = [];
  faults: WechatFaults = {};
  /** Lifetime of newly issued access tokens, seconds (WeChat: 7200). */
  tokenLifetime = 7200;
  private restore: (() => void) | null = null;

  install(): this {
    const original = globalThis.fetch;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const req = new Request(input, init);
      if (req.url.startsWith(`${WECHAT_FAKE_BASE}/`)) return this.handle(req);
      return original(input, init);
    });
    this.restore = () => spy.mockRestore();
    return this;
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  /** A mini program with its AppSecret (a fresh appid unless given). */
  app(appid = `wx${hex(8)}`): { appid: string; secret: string } {
    const secret = hex(16);
    this.apps.set(appid, { secret, tokens: new Map(), current: null, templates: new Map() });
    return { appid, secret };
  }

  /** The env the Worker runs with against this fake, as the mini program `app`. */
  env(app: { appid: string; secret: string }, over: Partial<Record<string, string>> = {}): Env {
    return {
      ...env,
      WECHAT_API_BASE: WECHAT_FAKE_BASE,
      WECHAT_MINIPROGRAM_APPID: app.appid,
      WECHAT_MINIPROGRAM_SECRET: app.secret,
      ...over,
    } as Env;
  }

  /** What wx.login gives the mini program of `appid` for the person `openid`: a code valid 5 minutes, once. */
  login(appid: string, openid: string, unionid: string | null = null): string {
    const code = `0${hex(15)}`;
    this.codes.set(code, { appid, openid, unionid, expiresAt: Date.now() + 5 * 60_000, used: false });
    return code;
  }

  /** A subscribe message template of the app with its field keys. */
  template(appid: string, fields: string[]): string {
    const id = b64(32)
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 43);
    this.apps.get(appid)!.templates.set(id, fields);
    return id;
  }

  /** The user accepts `times` one-time subscriptions to the template (wx.requestSubscribeMessage). */
  subscribe(appid: string, openid: string, templateId: string, times = 1): void {
    const key = `${appid}|${openid}|${templateId}`;
    this.subscriptions.set(key, (this.subscriptions.get(key) ?? 0) + times);
  }

  /** Every issued access token expires now. */
  expireTokens(): void {
    for (const app of this.apps.values()) for (const t of app.tokens.keys()) app.tokens.set(t, Date.now() - 1);
  }

  /** Every issued access token stops being valid (as after a force refresh elsewhere). */
  revokeTokens(): void {
    for (const app of this.apps.values()) {
      app.tokens.clear();
      app.current = null;
    }
  }

  private fail(errcode: number, errmsg: string): Response {
    this.errcodes.push(errcode);
    return Response.json({ errcode, errmsg: `${errmsg} rid: ${hex(6)}` });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (this.faults.serverError) return new Response("<html>503 Service Temporarily Unavailable</html>", { status: 503 });
    if (this.faults.busy) return this.fail(-1, "system error");
    if (req.method === "GET" && url.pathname === "/sns/jscode2session") return this.code2session(url.searchParams);
    if (req.method === "POST" && url.pathname === "/cgi-bin/stable_token") return this.stableToken(req);
    if (req.method === "POST" && url.pathname === "/cgi-bin/message/subscribe/send") return this.send(req, url.searchParams);
    return new Response("not found", { status: 404 });
  }

  private credentials(appid: unknown, secret: unknown): App | Response {
    const app = typeof appid === "string" ? this.apps.get(appid) : undefined;
    if (!app) return this.fail(40013, "invalid appid");
    if (secret !== app.secret) return this.fail(40125, "invalid appsecret");
    return app;
  }

  private code2session(q: URLSearchParams): Response {
    this.calls.code2session += 1;
    const app = this.credentials(q.get("appid"), q.get("secret"));
    if (app instanceof Response) return app;
    if (q.get("grant_type") !== "authorization_code") return this.fail(40002, "invalid grant_type");
    const code = this.codes.get(q.get("js_code") ?? "");
    if (!code || code.appid !== q.get("appid") || code.expiresAt < Date.now()) return this.fail(40029, "invalid code");
    if (code.used) return this.fail(40163, "code been used");
    code.used = true;
    const sessionKey = b64(16);
    this.sessionKeys.push(sessionKey);
    return Response.json({ openid: code.openid, session_key: sessionKey, ...(code.unionid ? { unionid: code.unionid } : {}) });
  }

  private async stableToken(req: Request): Promise<Response> {
    this.calls.stableToken += 1;
    if (!(req.headers.get("Content-Type") ?? "").includes("application/json")) return this.fail(47001, "data format error");
    let b: Record<string, unknown>;
    try {
      b = (await req.json()) as Record<string, unknown>;
    } catch {
      return this.fail(47001, "data format error");
    }
    this.tokenRequests.push({ grant_type: b.grant_type, appid: b.appid, force_refresh: b.force_refresh });
    if (b.grant_type !== "client_credential") return this.fail(40002, "invalid grant_type");
    const app = this.credentials(b.appid, b.secret);
    if (app instanceof Response) return app;
    const now = Date.now();
    const current = app.current ? app.tokens.get(app.current) : undefined;
    // Normal mode answers the token in force; WeChat renews it in its last 5 minutes (the old one
    // stays valid until it expires). force_refresh invalidates the old token at once.
    if (b.force_refresh === true && app.current) app.tokens.delete(app.current);
    else if (app.current && current !== undefined && current - now > 5 * 60_000) {
      return Response.json({ access_token: app.current, expires_in: Math.floor((current - now) / 1000) });
    }
    const token = `${hex(8)}_${b64(96).replace(/[^A-Za-z0-9]/g, "")}`;
    app.tokens.set(token, now + this.tokenLifetime * 1000);
    app.current = token;
    return Response.json({ access_token: token, expires_in: this.tokenLifetime });
  }

  private async send(req: Request, q: URLSearchParams): Promise<Response> {
    this.calls.send += 1;
    const token = q.get("access_token") ?? "";
    const owner = [...this.apps.entries()].find(([, a]) => a.tokens.has(token));
    if (!owner) return this.fail(40001, "invalid credential, access_token is invalid or not latest");
    const [appid, app] = owner;
    if (app.tokens.get(token)! <= Date.now()) return this.fail(42001, "access_token expired");
    const body = (await req.json()) as SentMessage["body"];
    const known = [...this.codes.values()].some((c) => c.appid === appid && c.openid === body.touser);
    if (!known) return this.fail(40003, "invalid openid");
    const fields = app.templates.get(body.template_id);
    if (!fields) return this.fail(40037, "invalid template_id");
    const given = Object.keys(body.data ?? {});
    if (given.length !== fields.length || !fields.every((f) => given.includes(f))) return this.fail(47003, "argument invalid! data");
    for (const [key, v] of Object.entries(body.data)) {
      const limit = LIMITS[key.replace(/\d+$/, "")];
      if (typeof v?.value !== "string" || v.value === "" || (limit !== undefined && [...v.value].length > limit)) {
        return this.fail(47003, `argument invalid! data.${key}.value invalid`);
      }
    }
    if (!STATES.has(body.miniprogram_state) || !LANGS.has(body.lang)) return this.fail(47003, "argument invalid!");
    const key = `${appid}|${body.touser}|${body.template_id}`;
    const left = this.subscriptions.get(key) ?? 0;
    if (left <= 0) return this.fail(43101, "user refuse to accept the msg");
    this.subscriptions.set(key, left - 1);
    this.sent.push({ appid, body });
    return Response.json({ errcode: 0, errmsg: "ok", msgid: this.sent.length });
  }
}
