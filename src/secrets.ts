/**
 * The Worker's secrets, in one place: which variables are secrets (set with `wrangler secret put`,
 * never in wrangler.toml), and which of them a staging or production deployment needs given its
 * provider selection. The configuration check (src/config.ts) refuses to serve without them and
 * `npm run deploy` (scripts/deploy.mjs) compares them with `wrangler secret list` before deploying.
 *
 * This module imports nothing, so the deploy script (Node, outside the Worker) can load it as is.
 * A new secret: add it to `SECRETS`, and to `requiredSecrets` when some selection needs it.
 */

/** Every variable whose value is a secret. */
export const SECRETS = [
  "JWT_SECRET",
  "PII_KEY",
  "PII_LOOKUP_KEY",
  "SMS_WEBHOOK_TOKEN",
  "ALIYUN_ACCESS_KEY_SECRET",
  "TENCENTCLOUD_SECRET_KEY",
  "PUSH_WEBHOOK_TOKEN",
  "JPUSH_MASTER_SECRET",
  "FCM_SERVICE_ACCOUNT",
  "WECHAT_MINIPROGRAM_SECRET",
  "STRIPE_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "WECHATPAY_APIV3_KEY",
  "WECHATPAY_MERCHANT_PRIVATE_KEY",
  "ALIPAY_APP_PRIVATE_KEY",
  "SANDBOX_WEBHOOK_SECRET",
  "ALERT_WEBHOOK_SECRET",
  "BOOTSTRAP_TOKEN",
] as const;

export type SecretName = (typeof SECRETS)[number];

/** A secret a deployment needs, and the setting that needs it. */
export interface RequiredSecret {
  name: SecretName;
  because: string;
}

type Vars = Partial<Record<string, unknown>>;

const set = (vars: Vars, name: string) => typeof vars[name] === "string" && (vars[name] as string).trim() !== "";
const is = (vars: Vars, name: string, value: string) => typeof vars[name] === "string" && (vars[name] as string).trim() === value;

/**
 * The secrets a staging or production deployment with these (non-secret) variables needs. Reads only
 * the provider selection (`SMS_PROVIDER`, `PUSH_PROVIDER`, the payment providers' ids, …), never a
 * secret, so the deploy script can call it with wrangler.toml's variables alone.
 */
export function requiredSecrets(vars: Vars): RequiredSecret[] {
  const out: RequiredSecret[] = [
    { name: "JWT_SECRET", because: "signs access tokens" },
    { name: "PII_KEY", because: "encrypts phones and addresses" },
  ];
  const need = (name: SecretName, because: string) => {
    if (!out.some((s) => s.name === name)) out.push({ name, because });
  };
  if (is(vars, "SMS_PROVIDER", "aliyun")) need("ALIYUN_ACCESS_KEY_SECRET", "SMS_PROVIDER=aliyun");
  if (is(vars, "SMS_PROVIDER", "tencent")) need("TENCENTCLOUD_SECRET_KEY", "SMS_PROVIDER=tencent");
  if (is(vars, "SMS_PROVIDER", "webhook")) need("SMS_WEBHOOK_TOKEN", "SMS_PROVIDER=webhook");
  if (is(vars, "NUMBER_PRIVACY", "aliyun")) need("ALIYUN_ACCESS_KEY_SECRET", "NUMBER_PRIVACY=aliyun");
  if (is(vars, "PUSH_PROVIDER", "webhook")) need("PUSH_WEBHOOK_TOKEN", "PUSH_PROVIDER=webhook");
  if (is(vars, "PUSH_PROVIDER", "live") && set(vars, "JPUSH_APP_KEY")) need("JPUSH_MASTER_SECRET", "PUSH_PROVIDER=live with JPUSH_APP_KEY");
  if (is(vars, "PUSH_PROVIDER", "live") && set(vars, "FCM_PROJECT_ID"))
    need("FCM_SERVICE_ACCOUNT", "PUSH_PROVIDER=live with FCM_PROJECT_ID");
  if (is(vars, "WECHAT_NOTIFY", "live")) need("WECHAT_MINIPROGRAM_SECRET", "WECHAT_NOTIFY=live");
  if (set(vars, "WECHATPAY_MCHID")) {
    need("WECHATPAY_MERCHANT_PRIVATE_KEY", "WECHATPAY_MCHID is set");
    need("WECHATPAY_APIV3_KEY", "WECHATPAY_MCHID is set");
  }
  if (set(vars, "ALERT_WEBHOOK_URL")) need("ALERT_WEBHOOK_SECRET", "ALERT_WEBHOOK_URL is set");
  if (set(vars, "ALIPAY_APP_ID")) need("ALIPAY_APP_PRIVATE_KEY", "ALIPAY_APP_ID is set");
  if (set(vars, "STRIPE_PUBLISHABLE_KEY")) {
    need("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY is set");
    need("STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY is set");
  }
  return out;
}

/** The required secrets that `vars` (variables and secrets together, as the Worker sees them) lack. */
export function missingSecrets(vars: Vars): RequiredSecret[] {
  return requiredSecrets(vars).filter((s) => !set(vars, s.name));
}
