/**
 * Number privacy (隐私号): a customer and a technician are bound to a virtual number X, so each
 * calls X and reaches the other without ever seeing the real number. One provider today: Aliyun
 * Phone Number Protection (Dyplsapi 2017-05-25), AXB: `BindAxb` binds A (the order's contact) and
 * B (the technician) to an X from the pool `ALIYUN_PNS_POOL_KEY`, `UnbindSubscription` ends it.
 * Requests are signed ACS3-HMAC-SHA256 with the AccessKey pair (`aliyun-signature.ts`).
 *
 * Every failure is a `ProviderError`: retryable unless the provider refused the numbers
 * themselves. Its message names the action and the provider's code only: never a phone number,
 * never the request URL (its query holds the numbers).
 */
import type { Config } from "../config";
import { aliyunPhone, signedAliyunRequest, type AliyunCredentials } from "./aliyun-signature";
import { ProviderError } from "./provider-error";

export interface BindRequest {
  /** The customer side (A), E.164. */
  phoneA: string;
  /** The technician side (B), E.164. */
  phoneB: string;
  /** When the provider drops the binding by itself (epoch ms). */
  expiresAt: number;
  /** Our id of the binding, handed back in the provider's call records. */
  outId: string;
}

export interface Bound {
  /** The provider's id of the binding (needed to unbind it). */
  subsId: string;
  /** The virtual number X as the provider writes it (national digits; `e164OfMainland` for people). */
  secretNo: string;
}

/** A binding as the provider knows it: what unbinding names. */
export interface BindingRef {
  poolKey: string;
  subsId: string;
  /** X as `bind` answered it. */
  secretNo: string;
}

export interface NumberPrivacy {
  /** The pool new bindings come from (kept with each binding: unbinding names it). */
  readonly poolKey: string;
  bind(request: BindRequest): Promise<Bound>;
  /** Ends a binding; one the provider no longer knows (expired, unbound already) counts as ended. */
  unbind(binding: BindingRef): Promise<void>;
}

export type NumberPrivacyConfig = Pick<
  Config,
  "NUMBER_PRIVACY" | "ALIYUN_PNS_ENDPOINT" | "ALIYUN_PNS_POOL_KEY" | "ALIYUN_ACCESS_KEY_ID" | "ALIYUN_ACCESS_KEY_SECRET"
>;

/** Whether virtual numbers are in use at all; off, today's masking rules are all there is. */
export function numberPrivacyEnabled(cfg: Pick<Config, "NUMBER_PRIVACY">): boolean {
  return cfg.NUMBER_PRIVACY !== "off";
}

/** The configured provider, or null with `NUMBER_PRIVACY=off`. Throws when a variable it needs is unset. */
export function numberPrivacy(cfg: NumberPrivacyConfig): NumberPrivacy | null {
  if (cfg.NUMBER_PRIVACY === "off") return null;
  const missing = (["ALIYUN_PNS_POOL_KEY", "ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET"] as const).filter((k) => !cfg[k]);
  if (missing.length) throw new Error(`NUMBER_PRIVACY=aliyun needs ${missing.join(", ")}`);
  return aliyunPns(new URL(cfg.ALIYUN_PNS_ENDPOINT), cfg.ALIYUN_PNS_POOL_KEY, {
    keyId: cfg.ALIYUN_ACCESS_KEY_ID,
    secret: cfg.ALIYUN_ACCESS_KEY_SECRET,
  });
}

const VERSION = "2017-05-25";
/** How long one call may take before it counts as a provider failure. */
const TIMEOUT_MS = 8_000;
/** Codes that say the numbers themselves are refused: asking again with them fails again. */
const REFUSED = new Set(["isv.MOBILE_NUMBER_ILLEGAL"]);
/** Unbinding something the provider no longer has is what we wanted. */
const ALREADY_GONE = new Set(["isv.SUBS_NOT_EXIST"]);

/** `Expiration` as Dyplsapi reads it: `yyyy-MM-dd HH:mm:ss`, Beijing time (UTC+8, no DST). */
export function pnsExpiration(at: number): string {
  return new Date(at + 8 * 3_600_000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "");
}

function aliyunPns(endpoint: URL, poolKey: string, credentials: AliyunCredentials): NumberPrivacy {
  async function call(action: string, params: Record<string, string>): Promise<Record<string, unknown>> {
    const { url, init } = await signedAliyunRequest(endpoint, credentials, { action, version: VERSION, params });
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      // The error's name only: its message may quote the URL, whose query holds the numbers.
      throw new ProviderError(`aliyun pns ${action} unreachable (${err instanceof Error ? err.name : "network error"})`, true);
    }
    const text = await res.text().catch(() => "");
    if (res.status >= 500) throw new ProviderError(`aliyun pns ${action} answered ${res.status}`, true, res.status);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
      if (typeof body !== "object" || body === null) throw new Error("not an object");
    } catch {
      throw new ProviderError(`aliyun pns ${action} answered ${res.status} without JSON`, true, res.status);
    }
    if (body.Code !== "OK") {
      const code = typeof body.Code === "string" ? body.Code : String(res.status);
      // Signature, throttling, an empty pool, the provider's own faults: all may pass.
      throw new ProviderError(`aliyun pns ${action} refused: ${code}`, !REFUSED.has(code), res.status, code);
    }
    return body;
  }

  return {
    poolKey,
    async bind(r) {
      const body = await call("BindAxb", {
        PoolKey: poolKey,
        PhoneNoA: aliyunPhone(r.phoneA),
        PhoneNoB: aliyunPhone(r.phoneB),
        Expiration: pnsExpiration(r.expiresAt),
        OutId: r.outId,
      });
      const dto = body.SecretBindDTO as { SubsId?: unknown; SecretNo?: unknown } | undefined;
      const subsId = typeof dto?.SubsId === "string" || typeof dto?.SubsId === "number" ? String(dto.SubsId) : "";
      const secretNo = typeof dto?.SecretNo === "string" ? dto.SecretNo : "";
      // An answer without a usable X cannot be shown to anyone: the bind is tried again.
      if (!/^\d{1,32}$/.test(subsId) || !/^\d{7,15}$/.test(secretNo)) {
        throw new ProviderError("aliyun pns BindAxb answered OK without a usable SecretBindDTO", true, 200, "MALFORMED_ANSWER");
      }
      return { subsId, secretNo };
    },
    async unbind(b) {
      try {
        await call("UnbindSubscription", { PoolKey: b.poolKey, SubsId: b.subsId, SecretNo: b.secretNo });
      } catch (err) {
        if (err instanceof ProviderError && err.code !== null && ALREADY_GONE.has(err.code)) return;
        throw err;
      }
    },
  };
}
