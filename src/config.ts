/**
 * The Worker's configuration: every variable of wrangler.toml `[vars]`, `.dev.vars` and the secrets,
 * parsed and validated once per isolate (and per env object: tests pass modified copies).
 *
 * An unset or empty variable takes its default; a variable that is set but malformed is refused
 * with a `ConfigError` naming it, never replaced by the default. Every request then answers 503
 * `MISCONFIGURED` naming the variables (never a value), and the isolate logs one
 * `"msg":"configuration"` line saying what is wrong (a secret's value is never shown). Outside
 * `ENVIRONMENT=development` the stand-ins of `STAND_INS` and a missing required secret
 * (`secrets.required`, src/secrets.ts) are refused the same way.
 *
 * To add a variable: add it to `schema` below with its default and a comment, list it in
 * `.dev.vars.example` (and wrangler.toml `[vars]` when it is not a secret), run `npm run types`,
 * and read it as `config(env).yourName`.
 */
import { DEFAULT_TICKET_SLA, TICKET_CATEGORIES } from "./domain/tickets";
import { z } from "zod";
import { DEFAULT_WEIGHTS } from "./domain/dispatch";
import { PAYMENT_PROVIDERS } from "./domain/money";
import { missingSecrets, requiredSecrets, SECRETS } from "./secrets";

/**
 * The secrets, listed once (src/secrets.ts): `all` names every secret variable, `required(vars)` those
 * a staging or production deployment with these variables needs (checked here and by `npm run deploy`).
 */
export const secrets = { all: SECRETS, required: requiredSecrets };

const LIMIT_SPEC = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** An optional text; unset and empty are the same. */
const text = (fallback = "") => z.string().default(fallback);
/** A whole number ≥ `min` (and ≤ `max`), given as a decimal string. */
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\s*-?\d+\s*$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `expected a whole number of at least ${min}`).max(max, `expected a whole number of at most ${max}`))
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

/** Where this deployment runs. Only `development` may use the stand-ins of `STAND_INS`. */
export const ENVIRONMENTS = ["development", "staging", "production"] as const;

/** Every variable, with its default (documented in `.dev.vars.example`). */
const fields = z.object({
  // Where this deployment runs: "development" (local, tests, demos), "staging" or "production".
  // Unset: production, so a deployment that forgets it gets the strict rules.
  ENVIRONMENT: z.enum(ENVIRONMENTS, { message: 'expected "development", "staging" or "production"' }).default("production"),
  // Signing key for access tokens and quotes (HS256): at least 32 characters. Required.
  JWT_SECRET: z.string({ message: "is required (a secret: wrangler secret put JWT_SECRET)" }).min(32, "must be at least 32 characters"),
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
  // One-time secret of POST /v1/bootstrap (npm run bootstrap): creates the first admin while none exists. Empty: the route is off.
  BOOTSTRAP_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  // Browser origins allowed by CORS (empty: none).
  CORS_ORIGINS: list(),
  // Access token lifetime (seconds) and refresh token lifetime (days).
  ACCESS_TOKEN_TTL_SECONDS: int(900, 1),
  REFRESH_TOKEN_TTL_DAYS: int(30, 1),
  // How long an isolate trusts its copy of an account's token version and status (seconds): a revoked
  // access token (sign-out everywhere, ban, role taken away) keeps working at most this long. 0: read every request.
  TOKEN_VERSION_CACHE_SECONDS: int(5).pipe(z.number().max(300, "at most 300 seconds")),
  // A WebSocket ticket (POST …/ticket) opens one socket within this many seconds.
  SOCKET_TICKET_TTL_SECONDS: int(30, 5).pipe(z.number().max(300, "at most 300 seconds")),
  // Largest accepted JSON request body in bytes.
  MAX_BODY_BYTES: int(65_536, 1),
  // Availability: slot grid in minutes, and how many rings of neighbouring cells are searched.
  SLOT_GRID_MINUTES: int(30, 1),
  AVAILABILITY_RING: int(1, 1),
  // Travel between jobs: straight-line km × road factor ÷ speed, plus a buffer in minutes.
  TRAVEL_ROAD_FACTOR: positive(1.4),
  TRAVEL_SPEED_KMH: positive(25),
  TRAVEL_BUFFER_MINUTES: int(10),
  // Team route plans: solver iterations per plan (bounded work; the clock stands still in synchronous code).
  ROUTE_PLAN_MAX_ITERATIONS: int(2000, 1),
  ROUTE_PLAN_TIME_PROPOSAL_MINUTES: int(60, 0, 240),
  // Team route plans: an accept that has not finished after this many seconds died; the cron takes the plan back.
  ROUTE_PLAN_ACCEPT_LEASE_SECONDS: int(120, 30),
  // Team route plans: customers asked for proposed times may answer until this many minutes before the group's earliest start.
  ROUTE_PLAN_ASK_CLOSE_MINUTES: int(60, 0, 1440),
  // Board: a multi-move the every-minute repair has failed to settle this many runs is told to the operators and listed as stuck.
  MOVE_STUCK_NOTICE_ATTEMPTS: int(5, 1, 1440),
  // Presence: offline after this many seconds without a heartbeat; position sampling and retention.
  PRESENCE_TIMEOUT_SECONDS: int(90, 1),
  POSITION_SAMPLE_SECONDS: int(15),
  POSITION_RETENTION_HOURS: int(24, 1),
  // Surge detection in each cell (docs/surge-forecasts.md): demand per free technician over a rolling
  // window of buckets; surging after ENTER_AFTER evaluations at or above ENTER_RATIO, normal again
  // after EXIT_AFTER at or below EXIT_RATIO; at most one evaluation per EVALUATE_SECONDS.
  SURGE_ENTER_RATIO: positive(2),
  SURGE_EXIT_RATIO: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*$/, "expected a number of at least 0")
    .transform(Number)
    .default(1),
  SURGE_ENTER_AFTER: int(3, 1),
  SURGE_EXIT_AFTER: int(5, 1),
  SURGE_MIN_DEMAND: int(3),
  SURGE_BUCKET_SECONDS: int(60, 1),
  SURGE_WINDOW_BUCKETS: int(15, 1),
  SURGE_EVALUATE_SECONDS: int(60),
  // Caps on the surge line operators may switch on per city: percent of the subtotal and an absolute amount (minor units).
  SURGE_PRICE_MAX_PERCENT: int(20).pipe(z.number().max(100, "expected a percentage (0..100)")),
  SURGE_PRICE_MAX_AMOUNT: int(5000),
  // Forecasts (nightly): weeks of history, days ahead, and the trend correction's cap in percent.
  FORECAST_WEEKS: int(4, 1).pipe(z.number().max(12, "at most 12 weeks")),
  FORECAST_DAYS: int(7, 1).pipe(z.number().max(14, "at most 14 days")),
  FORECAST_TREND_CAP_PERCENT: int(30).pipe(z.number().max(100, "expected a percentage (0..100)")),
  // Pre-position suggestions: technicians are never suggested to move further than this between cell centres.
  PREPOSITION_MAX_KM: positive(20),
  // Booking: quote validity and how long a hold waits for payment (seconds).
  QUOTE_TTL_SECONDS: int(900, 1),
  HOLD_TTL_SECONDS: int(900, 1),
  // Slot hoarding: a customer's open unpaid holds (pending_payment) and unpaid pay-after-service orders at once.
  MAX_OPEN_UNPAID_HOLDS: int(3, 1),
  MAX_UNPAID_AFTER_SERVICE_ORDERS: int(2, 1),
  // Recurring visits: how many days ahead a series' visits are booked (within the service's own horizon).
  SERIES_HORIZON_DAYS: int(28, 1),
  // Idempotency: a request in flight under a key holds it this long (s); past it, a retry takes over.
  IDEMPOTENCY_LEASE_SECONDS: int(60, 5),
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
  // Days after completion a customer may answer the satisfaction survey (src/surveys).
  SURVEY_WINDOW_DAYS: int(30, 1),
  // Conversations: hours an order's chat stays open after completion; days a chat is kept (then the
  // daily cron deletes it with its images); minutes staff have to answer a support message (the
  // inbox's SLA target); the words that flag a message to staff (comma-separated; empty: the default list);
  // minutes between two offline notices (push/SMS) to one participant about one conversation (0: every message).
  CHAT_GRACE_HOURS: int(72),
  CHAT_RETENTION_DAYS: int(180, 1),
  CHAT_SLA_MINUTES: int(15, 1),
  CHAT_ABUSE_WORDS: list(),
  CHAT_OFFLINE_NOTICE_MINUTES: int(10, 0),
  // Cell events: seconds before a failing event is retried, doubling up to 10 minutes.
  CELL_EVENTS_RETRY_SECONDS: int(10, 0),
  // Training exams: seconds after an attempt's deadline a submission is still graded (network slack).
  EXAM_SUBMIT_GRACE_SECONDS: int(30, 0),
  // OTP: lifetime (s), wrong guesses per code. Sends are limited on the sender first: per IP, per
  // device (when the app names one), per phone from one IP, with a gap between sends to a phone
  // from one IP (s); then per phone from everyone (the safety cap). See README "Security" → "Limits".
  OTP_TTL_SECONDS: int(300, 1),
  OTP_MAX_ATTEMPTS: int(5, 1),
  OTP_PHONE_LIMIT: limit({ limit: 5, windowSeconds: 3600 }),
  OTP_IP_LIMIT: limit({ limit: 20, windowSeconds: 3600 }),
  OTP_DEVICE_LIMIT: limit({ limit: 10, windowSeconds: 3600 }),
  OTP_PHONE_CAP: limit({ limit: 10, windowSeconds: 3600 }),
  OTP_PHONE_COOLDOWN_SECONDS: int(60),
  // Country calling codes codes may be sent to, comma-separated ("86", "86,852,853"): anything else
  // is refused (SMS pumping).
  OTP_COUNTRIES: list()
    .pipe(z.array(z.string().regex(/^[1-9]\d{0,2}$/, "expected country calling codes such as 86 or 86,852")))
    .transform((codes) => (codes.length ? codes : ["86"])),
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
  // Number privacy (隐私号): "aliyun" binds customer and technician to a virtual number through
  // Aliyun Phone Number Protection (Dyplsapi), with the AccessKey pair above and this pool; "off"
  // keeps today's masking rules.
  NUMBER_PRIVACY: z.enum(["off", "aliyun"], { message: 'expected "off" or "aliyun"' }).default("off"),
  ALIYUN_PNS_ENDPOINT: z.url({ message: "expected a URL" }).default("https://dyplsapi.aliyuncs.com"),
  ALIYUN_PNS_POOL_KEY: text(),
  // Outbound webhooks: seconds before a failed delivery is tried again (doubling, at most an hour),
  // sends before it is given up (the queue's max_retries in wrangler.toml allows 10), and how long
  // one send may take (ms).
  WEBHOOK_RETRY_SECONDS: int(30, 0),
  WEBHOOK_MAX_ATTEMPTS: int(8, 1).pipe(z.number().max(10, "expected at most 10 (the queue's max_retries)")),
  WEBHOOK_TIMEOUT_MS: int(10_000, 100),
  // DNS-over-HTTPS endpoint (JSON API, e.g. https://cloudflare-dns.com/dns-query) used to resolve a
  // subscription's host name and refuse it when it points at a private address; empty: names are
  // not resolved (literal addresses and local names are still refused).
  WEBHOOK_DOH_URL: z.union([z.literal(""), z.url({ protocol: /^https$/, message: "expected an https URL" })]).default(""),
  // "1" in development only: subscriptions may use http://127.0.0.1 (a local receiver).
  WEBHOOK_ALLOW_LOCAL_HTTP: flag(),
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
  // WeChat server API (mini-program sign-in, subscribe messages): API base URL; the mini program's
  // appid (empty: WECHATPAY_APPID, which JSAPI payments and transfers need the openid under) and its
  // AppSecret (a secret; empty: no WeChat sign-in).
  WECHAT_API_BASE: z.url({ message: "expected an http(s) URL", protocol: /^https?$/ }).default("https://api.weixin.qq.com"),
  WECHAT_MINIPROGRAM_APPID: text(),
  WECHAT_MINIPROGRAM_SECRET: text(),
  // Subscribe messages (订阅消息) as a notification channel: "live" sends them, "off" does not.
  WECHAT_NOTIFY: z.enum(["off", "live"], { message: 'expected "off" or "live"' }).default("off"),
  // Which version of the mini program a subscribe message opens: formal, trial or developer.
  WECHAT_MINIPROGRAM_STATE: z
    .enum(["formal", "trial", "developer"], { message: 'expected "formal", "trial" or "developer"' })
    .default("formal"),
  // JSON object: notice kind → its subscribe message template: the template id, the page it opens
  // ("{orderId}" and other parameters filled in) and the template's fields, each naming a notice
  // parameter, e.g. {"order.en_route":{"templateId":"…","page":"pages/order/detail?id={orderId}",
  // "data":{"thing1":"title","character_string2":"orderId","time3":"when"}}}.
  WECHAT_SUBSCRIBE_TEMPLATES: json(
    z.record(
      z.string().min(1),
      z
        .object({
          templateId: z.string().min(1),
          page: z.string().min(1).optional(),
          data: z.record(z.string().regex(/^[a-z_]+\d+$/, "a template field key such as thing1"), z.string().min(1)),
        })
        .strict(),
      { message: "expected a JSON object of kind → {templateId, page, data}" },
    ),
    {},
  ),
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
  // The serial (a key of WECHATPAY_PUBLIC_KEYS, e.g. PUB_KEY_ID_…) whose key encrypts sensitive
  // request fields (a payee's name); empty: the first serial listed.
  WECHATPAY_ENCRYPT_SERIAL: text(),
  ALIPAY_APP_ID: text(),
  ALIPAY_PUBLIC_KEY: text(),
  ALIPAY_APP_PRIVATE_KEY: text(),
  // Alipay's OpenAPI gateway, called by the live client (the sandbox gateway for trials).
  ALIPAY_GATEWAY_URL: z.url({ protocol: /^https?$/, message: "expected an http(s) URL" }).default("https://openapi.alipay.com/gateway.do"),
  // How long one Alipay gateway call may take (ms) before it counts as a provider failure.
  ALIPAY_TIMEOUT_MS: int(10_000, 1),
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
  // Daily D1 backups to the BACKUPS bucket (README "Backups"): days a backup is kept before the cron deletes it
  // (the newest complete backup is never deleted).
  BACKUP_RETENTION_DAYS: int(30, 1),
  // Personal data (README "Personal data"): the version of the privacy policy text consents are given under, the
  // cooling-off days before a requested account deletion is carried out, how long an export's one-time download
  // link works, and the retention of visit photos, notification delivery records and technicians' stored day
  // plans (days) with the rows one daily run deletes per kind at most.
  PRIVACY_POLICY_VERSION: z.string().trim().min(1).max(40).default("2026-12"),
  DELETION_COOLING_OFF_DAYS: int(7),
  EXPORT_LINK_TTL_MINUTES: int(60, 1),
  VISIT_PHOTO_RETENTION_DAYS: int(365, 1),
  NOTIFICATION_DELIVERY_RETENTION_DAYS: int(90, 1),
  DAY_PLAN_RETENTION_DAYS: int(30, 1),
  RETENTION_BATCH_SIZE: int(500, 1),
  // Commission defaults in basis points: the platform's take, the technician's share of the rest.
  COMMISSION_TAKE_RATE_BPS: basisPoints(2000),
  COMMISSION_TECHNICIAN_SHARE_BPS: basisPoints(7000),
  // Earnings become withdrawable this many hours after the split.
  SETTLEMENT_DELAY_HOURS: int(72),
  // A served order not paid in full: the customer is reminded this many hours after completion…
  PAYMENT_DUE_REMINDER_HOURS: int(24, 1),
  // …and the order goes to the operators' exception queue (exception "unpaid") after this many.
  PAYMENT_DUE_EXCEPTION_HOURS: int(72, 1),
  // Days after completion a customer may complain.
  COMPLAINT_WINDOW_DAYS: int(7, 1),
  // After-sales tickets (src/tickets): per category the minutes to the first response and to the
  // resolution (JSON object; a category left out keeps its default, src/domain/tickets.ts)…
  TICKET_SLA: json(
    z.partialRecord(
      z.enum(TICKET_CATEGORIES),
      z.object({ firstResponseMinutes: z.number().int().min(1), resolutionMinutes: z.number().int().min(1) }).strict(),
    ),
    {},
  ).transform((given) => ({ ...DEFAULT_TICKET_SLA, ...given })),
  // …the credit points an upheld ticket with a penalty takes from the technician (a positive number)…
  TICKET_PENALTY_POINTS: int(30, 0),
  // …how many days a compensation coupon is valid, and days after a decision its customer may reopen
  // a ticket (at most twice).
  TICKET_COUPON_DAYS: int(90, 1),
  TICKET_REOPEN_DAYS: int(7, 1),
  // Referrals: the coupon (分 off, valid 30 days) each of the two accounts gets after the new
  // customer's first completed order, when the fraud guard finds nothing.
  REFERRAL_REWARD_FEN: int(1000, 1),
  // Withdrawals: smallest and largest amount (分), requests per technician per day, payout provider.
  WITHDRAWAL_MIN_AMOUNT: int(1000, 1),
  WITHDRAWAL_MAX_AMOUNT: int(500_000, 1),
  WITHDRAWALS_PER_DAY: int(3, 1),
  WITHDRAWAL_PAYOUT_PROVIDER: z
    .enum(PAYMENT_PROVIDERS, { message: `expected one of ${PAYMENT_PROVIDERS.join(", ")}` })
    .default("wechatpay"),
  // Alerts (dead letters, reconciliation mismatches, a long exception queue, cell alarm failures):
  // posted as signed JSON to this URL (empty: only the operators' notification centre gets them)…
  ALERT_WEBHOOK_URL: z.union([z.literal(""), z.url({ protocol: /^https?$/, message: "expected an http(s) URL" })]).default(""),
  // …signed `t=…,v1=HMAC-SHA256(secret, t.body)` in X-Doorstep-Signature with this secret (a secret;
  // required when the URL is set).
  ALERT_WEBHOOK_SECRET: text(),
  // The same alert (same key) is sent at most once in this many minutes; repeats are counted.
  ALERT_DEDUP_MINUTES: int(30, 1),
  // A city whose exception queue holds more than this many orders raises an alert.
  ALERT_EXCEPTION_QUEUE_THRESHOLD: int(20, 1),
});

/**
 * Development-only stand-ins: each would fake a provider (payments recorded in D1, the sandbox
 * provider, messages written to the log, sign-in codes in the answer). Outside development the
 * configuration refuses them, whether set or taken by default.
 */
const STAND_INS: { name: keyof z.output<typeof fields>; refused: (c: z.output<typeof fields>) => boolean; why: string }[] = [
  {
    name: "PAYMENT_PROVIDER_CLIENT",
    refused: (c) => c.PAYMENT_PROVIDER_CLIENT === "local",
    why: '"local" only records payments in D1; set "live"',
  },
  {
    name: "SANDBOX_WEBHOOK_SECRET",
    refused: (c) => c.SANDBOX_WEBHOOK_SECRET !== "",
    why: "is set, which enables the sandbox payment provider; leave it empty",
  },
  {
    name: "SMS_PROVIDER",
    refused: (c) => c.SMS_PROVIDER === "console",
    why: '"console" sends no text message; set "aliyun", "tencent" or "webhook"',
  },
  {
    name: "PUSH_PROVIDER",
    refused: (c) => c.PUSH_PROVIDER === "console",
    why: '"console" sends no push; set "live" or "webhook"',
  },
  {
    name: "WEBHOOK_ALLOW_LOCAL_HTTP",
    refused: (c) => c.WEBHOOK_ALLOW_LOCAL_HTTP,
    why: '"1" lets webhooks reach http://127.0.0.1; set "0"',
  },
  {
    name: "OTP_DEV_ECHO",
    refused: (c) => c.OTP_DEV_ECHO,
    why: '"1" answers sign-in codes to anyone; set "0"',
  },
];

const schema = fields.superRefine((c, ctx) => {
  if (c.SURGE_EXIT_RATIO >= c.SURGE_ENTER_RATIO)
    ctx.addIssue({ code: "custom", path: ["SURGE_EXIT_RATIO"], message: "must be below SURGE_ENTER_RATIO" });
  if (c.ALERT_WEBHOOK_URL !== "" && c.ALERT_WEBHOOK_SECRET === "") {
    ctx.addIssue({
      code: "custom",
      path: ["ALERT_WEBHOOK_SECRET"],
      message: "is required when ALERT_WEBHOOK_URL is set (alerts are signed)",
    });
  }
  if (c.ENVIRONMENT === "development") return;
  for (const s of STAND_INS) {
    if (s.refused(c)) {
      ctx.addIssue({ code: "custom", path: [s.name], message: `${s.why} (development only, ENVIRONMENT=${c.ENVIRONMENT})` });
    }
  }
  // A deployment without a secret its providers need would fail later, request by request.
  for (const s of missingSecrets(c)) {
    ctx.addIssue({
      code: "custom",
      path: [s.name],
      message: `is required (${s.because}; wrangler secret put ${s.name} --env ${c.ENVIRONMENT})`,
    });
  }
});

/**
 * Variables whose values are secret: a problem with one names the variable, never its value (the
 * problems go to the log).
 */
const SECRET = /(?:_SECRET|_SECRET_KEY|_TOKEN|_PRIVATE_KEY|^PII_KEY|^PII_LOOKUP_KEY|^WECHATPAY_APIV3_KEY|^FCM_SERVICE_ACCOUNT)$/;
const isSecret = (name: string) => SECRET.test(name) || (SECRETS as readonly string[]).includes(name);

/** The parsed configuration: the variables' names, typed values. */
export type Config = z.output<typeof schema>;
/** The variables the configuration reads. */
export const CONFIG_VARIABLES = Object.keys(fields.shape) as (keyof Config)[];

/** A variable is set but malformed (or a required one is missing, or a stand-in is used outside development). */
export class ConfigError extends Error {
  /**
   * @param problems one line per problem: the variable, its value unless it is a secret, what is wrong
   * @param variables the names of the variables at fault (never a value), each once
   */
  constructor(
    readonly problems: string[],
    readonly variables: string[] = [],
  ) {
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
  const names = parsed.error.issues.map((i) => String(i.path[0] ?? "?"));
  throw new ConfigError(
    parsed.error.issues.map((i, n) => {
      const name = names[n]!;
      const given = raw[name];
      if (given === undefined) return `${name} ${i.message}`;
      if (isSecret(name)) return `${name} (value not shown) ${i.message}`;
      return `${name}=${JSON.stringify(given)}: ${i.message}`;
    }),
    [...new Set(names)],
  );
}

const cache = new WeakMap<object, Config>();
const BASE = Symbol("the env this one was derived from");

/**
 * `env` with some bindings replaced for one request (its D1 session): it shares `env`'s parsed
 * configuration instead of parsing it again.
 */
export function deriveEnv(env: Env, replaced: Partial<Env>): Env {
  // The derived env inherits every other binding instead of copying them: copying an env's hundred-odd
  // bindings and variables on every request cost more CPU than the booking's own logic. The runtime's
  // own env is copied once into a plain object first (its bindings are read with it as the receiver).
  const parent = BASE in env ? env : plainCopy(env);
  const derived = Object.create(parent, { [BASE]: { value: baseOf(env) } }) as Env;
  return Object.assign(derived, replaced);
}

const plainCopies = new WeakMap<object, Env>();

function plainCopy(env: Env): Env {
  let copy = plainCopies.get(env);
  if (!copy) {
    copy = { ...env };
    plainCopies.set(env, copy);
  }
  return copy;
}

const baseOf = (env: Env): object => (env as { [BASE]?: object })[BASE] ?? env;

/** The env `env` was derived from (with the D1 binding itself, not a request's session); `env` when not derived. */
export function baseEnv(env: Env): Env {
  return baseOf(env) as Env;
}

/** The configuration of `env`, parsed once per env object. Throws ConfigError when it is invalid. */
export function config(env: Env): Config {
  const key = baseOf(env);
  let c = cache.get(key);
  if (!c) {
    c = parseConfig(env as unknown as Record<string, unknown>);
    cache.set(key, c);
  }
  return c;
}
