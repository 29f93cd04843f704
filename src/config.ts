/**
 * The Worker's configuration: every variable of wrangler.toml `[vars]`, `.dev.vars` and the secrets,
 * parsed and validated once per isolate (and per env object: tests pass modified copies).
 *
 * An unset or empty variable takes its default; a variable that is set but malformed is refused
 * with a `ConfigError` naming it, never replaced by the default. The first request then fails with
 * a 500 and one `"msg":"configuration"` log line saying what is wrong.
 *
 * To add a variable: add it to `schema` below with its default and a comment, list it in
 * `.dev.vars.example` (and wrangler.toml `[vars]` when it is not a secret), run `npm run types`,
 * and read it as `config(env).yourName`.
 */
import { z } from "zod";
import { DEFAULT_WEIGHTS } from "./domain/dispatch";
import { PAYMENT_PROVIDERS } from "./domain/money";

const LIMIT_SPEC = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** An optional text; unset and empty are the same. */
const text = (fallback = "") => z.string().default(fallback);
/** A whole number ≥ `min`, given as a decimal string. */
const int = (fallback: number, min = 0) =>
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `expected a whole number of at least ${min}`))
    .default(fallback);
/** A number > 0 (fractions allowed). */
const positive = (fallback: number) =>
  z
    .string()
    .transform((s, ctx) => {
      const n = Number(s);
      if (s.trim() === "" || !Number.isFinite(n) || n <= 0) {
        ctx.addIssue({ code: "custom", message: "expected a number greater than 0" });
        return z.NEVER;
      }
      return n;
    })
    .default(fallback);
/** "1" turns it on; "0" (or unset) keeps it off. */
const flag = () =>
  z
    .enum(["0", "1"], { message: 'expected "0" or "1"' })
    .transform((v) => v === "1")
    .default(false);
/** A comma-separated list of non-empty items. */
const list = () =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .default([]);
/** A rate limit "count/seconds", e.g. "5/3600". */
const limit = (fallback: { limit: number; windowSeconds: number }) =>
  z
    .string()
    .regex(LIMIT_SPEC, 'expected "count/seconds", e.g. "5/3600"')
    .transform((s) => {
      const m = LIMIT_SPEC.exec(s)!;
      return { limit: Number(m[1]), windowSeconds: Math.max(1, Number(m[2])) };
    })
    .default(fallback);
/** JSON text parsed, then checked by `inner`. */
const json = <T extends z.ZodType>(inner: T, fallback: NonNullable<z.output<T>>) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "expected JSON" });
        return z.NEVER;
      }
    })
    .pipe(inner)
    .default(fallback as never);
const basisPoints = (fallback: number) => int(fallback).pipe(z.number().max(10_000, "expected basis points (0..10000)"));
const weight = z.number().min(0).max(1);

/** Every variable, with its default (documented in `.dev.vars.example`). */
const schema = z.object({
  // Signing key for access tokens and quotes (HS256): at least 32 characters. Required.
  JWT_SECRET: z.string({ message: "is required" }).min(32, "must be at least 32 characters"),
  // Field encryption keys for phones and addresses ("base64" or "id:base64,id:base64", newest first).
  PII_KEY: text(),
  // Key for phone look-up hashes; empty: derived from the oldest PII_KEY entry.
  PII_LOOKUP_KEY: text(),
  // "1" in local development only: POST /v1/auth/otp answers the code as devCode.
  OTP_DEV_ECHO: flag(),
  // H3 resolution of city cells (0..15).
  H3_RESOLUTION: int(5).pipe(z.number().max(15, "expected an H3 resolution (0..15)")),
  // Phones that get the admin and operator roles when they sign in.
  BOOTSTRAP_ADMIN_PHONES: list(),
  // Browser origins allowed by CORS (empty: none).
  CORS_ORIGINS: list(),
  // Access token lifetime (seconds) and refresh token lifetime (days).
  ACCESS_TOKEN_TTL_SECONDS: int(900, 1),
  REFRESH_TOKEN_TTL_DAYS: int(30, 1),
  // Largest accepted JSON request body in bytes.
  MAX_BODY_BYTES: int(65_536, 1),
  // Availability: slot grid in minutes, and how many rings of neighbouring cells are searched.
  SLOT_GRID_MINUTES: int(30, 1),
  AVAILABILITY_RING: int(1, 1),
  // Travel between jobs: straight-line km × road factor ÷ speed, plus a buffer in minutes.
  TRAVEL_ROAD_FACTOR: positive(1.4),
  TRAVEL_SPEED_KMH: positive(25),
  TRAVEL_BUFFER_MINUTES: int(10),
  // Presence: offline after this many seconds without a heartbeat; position sampling and retention.
  PRESENCE_TIMEOUT_SECONDS: int(90, 1),
  POSITION_SAMPLE_SECONDS: int(15),
  POSITION_RETENTION_HOURS: int(24, 1),
  // Booking: quote validity and how long a hold waits for payment (seconds).
  QUOTE_TTL_SECONDS: int(900, 1),
  HOLD_TTL_SECONDS: int(900, 1),
  // Dispatch: accept deadline (s), grab pool time (s), en-route lead (min), rounds, kept candidates.
  ACCEPT_DEADLINE_SECONDS: int(60, 1),
  GRAB_DEADLINE_SECONDS: int(120, 1),
  EN_ROUTE_LEAD_MINUTES: int(30, 1),
  DISPATCH_MAX_ROUNDS: int(3, 1),
  DISPATCH_CANDIDATES: int(10, 1),
  // Scoring weights (JSON object, each 0..1; a missing weight keeps its default).
  DISPATCH_WEIGHTS: json(
    z
      .object({
        travel: weight.optional(),
        rating: weight.optional(),
        load: weight.optional(),
        fairness: weight.optional(),
        acceptance: weight.optional(),
        favourite: weight.optional(),
      })
      .strict()
      .transform((w) => ({ ...DEFAULT_WEIGHTS, ...Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined)) })),
    DEFAULT_WEIGHTS,
  ),
  // "greedy" (each job as it comes) or "batch" (every BATCH_INTERVAL_SECONDS, per cell).
  DISPATCH_STRATEGY: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["greedy", "batch"], { message: 'expected "greedy" or "batch"' }))
    .default("greedy"),
  BATCH_INTERVAL_SECONDS: int(5, 1),
  // The visit: arrival geofence in metres; minutes the address stays visible after completion.
  GEOFENCE_METERS: int(300, 1),
  REVEAL_GRACE_MINUTES: int(60),
  // Days after completion a customer may review the visit.
  REVIEW_WINDOW_DAYS: int(14, 1),
  // Cell events: seconds before a failing event is retried, doubling up to 10 minutes.
  CELL_EVENTS_RETRY_SECONDS: int(10, 0),
  // OTP: lifetime (s), wrong guesses per code, sends per phone and per IP, gap between sends (s).
  OTP_TTL_SECONDS: int(300, 1),
  OTP_MAX_ATTEMPTS: int(5, 1),
  OTP_PHONE_LIMIT: limit({ limit: 5, windowSeconds: 3600 }),
  OTP_IP_LIMIT: limit({ limit: 20, windowSeconds: 3600 }),
  OTP_PHONE_COOLDOWN_SECONDS: int(60),
  // Outside channels: "console" logs each message, "webhook" posts it to the URL (token: a secret).
  // SMS also goes through a provider's approved templates: "aliyun" or "tencent".
  SMS_PROVIDER: z
    .enum(["console", "webhook", "aliyun", "tencent"], { message: 'expected "console", "webhook", "aliyun" or "tencent"' })
    .default("console"),
  SMS_WEBHOOK_URL: text(),
  SMS_WEBHOOK_TOKEN: text(),
  // JSON object: message kind ("otp", "order.cancelled", …) → its approved template per provider
  // and the template's parameter names in order, e.g. {"otp":{"aliyun":"SMS_1","tencent":"1","params":["code"]}}.
  SMS_TEMPLATES: json(
    z.record(
      z.string().min(1),
      z
        .object({
          aliyun: z.string().min(1).optional(),
          tencent: z.string().min(1).optional(),
          params: z.array(z.string().min(1)).default([]),
        })
        .strict(),
      { message: "expected a JSON object of kind → {aliyun, tencent, params}" },
    ),
    {},
  ),
  // Aliyun SMS: API endpoint, AccessKey pair (the secret is a secret), approved sign name.
  ALIYUN_SMS_ENDPOINT: z.url({ message: "expected a URL" }).default("https://dysmsapi.aliyuncs.com"),
  ALIYUN_ACCESS_KEY_ID: text(),
  ALIYUN_ACCESS_KEY_SECRET: text(),
  ALIYUN_SMS_SIGN_NAME: text(),
  // Tencent Cloud SMS: API endpoint, region, API key pair (the key is a secret), SDK app id, sign name.
  TENCENT_SMS_ENDPOINT: z.url({ message: "expected a URL" }).default("https://sms.tencentcloudapi.com"),
  TENCENT_SMS_REGION: text("ap-guangzhou"),
  TENCENTCLOUD_SECRET_ID: text(),
  TENCENTCLOUD_SECRET_KEY: text(),
  TENCENT_SMS_SDK_APP_ID: text(),
  TENCENT_SMS_SIGN_NAME: text(),
  // Push: "live" sends to each registered device through its provider (JPush or FCM).
  PUSH_PROVIDER: z.enum(["console", "webhook", "live"], { message: 'expected "console", "webhook" or "live"' }).default("console"),
  PUSH_WEBHOOK_URL: text(),
  PUSH_WEBHOOK_TOKEN: text(),
  // JPush REST v3: API base, app key and master secret (a secret).
  JPUSH_API_BASE: z.url({ message: "expected a URL" }).default("https://api.jpush.cn"),
  JPUSH_APP_KEY: text(),
  JPUSH_MASTER_SECRET: text(),
  // FCM HTTP v1: API base, Firebase project id, and the service account's JSON key (a secret):
  // client_email, private_key (PKCS#8 PEM) and token_uri.
  FCM_API_BASE: z.url({ message: "expected a URL" }).default("https://fcm.googleapis.com"),
  FCM_PROJECT_ID: text(),
  FCM_SERVICE_ACCOUNT: text(),
  // Payment providers: webhook secrets, ids notifications must match, keys (PEM, literal \n allowed).
  STRIPE_WEBHOOK_SECRET: text(),
  STRIPE_PUBLISHABLE_KEY: text(),
  // The live Stripe client: API base URL and the secret key it calls with (a secret).
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).default("https://api.stripe.com"),
  STRIPE_SECRET_KEY: text(),
  WECHATPAY_MCHID: text(),
  WECHATPAY_APPID: text(),
  WECHATPAY_APIV3_KEY: text(),
  // JSON object: Wechatpay-Serial value → SPKI public key PEM.
  WECHATPAY_PUBLIC_KEYS: json(z.record(z.string(), z.string(), { message: "expected a JSON object of serial → PEM" }), {}),
  WECHATPAY_MERCHANT_PRIVATE_KEY: text(),
  // The live WeChat Pay client: API base URL, the merchant API certificate serial it signs as, and
  // how long one call may take (ms) before it counts as a provider failure.
  WECHATPAY_API_BASE: z.url({ message: "expected an https URL", protocol: /^https$/ }).default("https://api.mch.weixin.qq.com"),
  WECHATPAY_MERCHANT_SERIAL: text(),
  WECHATPAY_TIMEOUT_MS: int(10_000, 1),
  ALIPAY_APP_ID: text(),
  ALIPAY_PUBLIC_KEY: text(),
  ALIPAY_APP_PRIVATE_KEY: text(),
  // Alipay's OpenAPI gateway, called by the live client (the sandbox gateway for trials).
  ALIPAY_GATEWAY_URL: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).default("https://openapi.alipay.com/gateway.do"),
  // The sandbox provider's signing secret; empty: no sandbox.
  SANDBOX_WEBHOOK_SECRET: text(),
  // Calls to the providers' servers: "local" (kept in D1), or "live" (the providers' own APIs where
  // a live client exists: WeChat Pay, Alipay and Stripe; the others stay local).
  PAYMENT_PROVIDER_CLIENT: z.enum(["local", "live"], { message: 'expected "local" or "live"' }).default("local"),
  // Public base URL the providers call back; empty: the request's origin.
  PAYMENT_NOTIFY_BASE_URL: text(),
  // Reconciliation asks about payments pending at least this long (seconds).
  PAYMENT_QUERY_AFTER_SECONDS: int(60),
  // The daily statements of yesterday (Asia/Shanghai) are fetched from this local hour on (the
  // providers make them by about 9:00 the next day); a failed fetch is tried again every 30 minutes.
  STATEMENTS_AFTER_HOUR: int(10).pipe(z.number().max(23, "expected an hour from 0 to 23")),
  // Commission defaults in basis points: the platform's take, the technician's share of the rest.
  COMMISSION_TAKE_RATE_BPS: basisPoints(2000),
  COMMISSION_TECHNICIAN_SHARE_BPS: basisPoints(7000),
  // Earnings become withdrawable this many hours after the split.
  SETTLEMENT_DELAY_HOURS: int(72),
  // Days after completion a customer may complain.
  COMPLAINT_WINDOW_DAYS: int(7, 1),
  // Withdrawals: smallest and largest amount (分), requests per technician per day, payout provider.
  WITHDRAWAL_MIN_AMOUNT: int(1000, 1),
  WITHDRAWAL_MAX_AMOUNT: int(500_000, 1),
  WITHDRAWALS_PER_DAY: int(3, 1),
  WITHDRAWAL_PAYOUT_PROVIDER: z
    .enum(PAYMENT_PROVIDERS, { message: `expected one of ${PAYMENT_PROVIDERS.join(", ")}` })
    .default("wechatpay"),
});

/** The parsed configuration: the variables' names, typed values. */
export type Config = z.output<typeof schema>;
/** The variables the configuration reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Config)[];

/** A variable is set but malformed (or a required one is missing). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Parses raw variables; unset and empty values take the defaults. Throws ConfigError. */
export function parseConfig(vars: Partial<Record<string, unknown>>): Config {
  const raw: Record<string, unknown> = {};
  for (const name of CONFIG_VARIABLES) {
    const v = vars[name];
    if (v !== undefined && v !== "") raw[name] = v;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "?");
      const given = raw[name];
      return given === undefined ? `${name} ${i.message}` : `${name}=${JSON.stringify(given)}: ${i.message}`;
    }),
  );
}

const cache = new WeakMap<object, Config>();

/** The configuration of `env`, parsed once per env object. Throws ConfigError when it is invalid. */
export function config(env: Env): Config {
  let c = cache.get(env);
  if (!c) {
    c = parseConfig(env as unknown as Record<string, unknown>);
    cache.set(env, c);
  }
  return c;
}
