/**
 * A local fake of Aliyun Phone Number Protection (Dyplsapi 2017-05-25) for the actions the client
 * uses, keeping their documented contract: every request's ACS3-HMAC-SHA256 signature is checked
 * with the fake's copy of the AccessKey secret (400 SignatureDoesNotMatch otherwise); `BindAxb`
 * takes PoolKey, PhoneNoA, PhoneNoB, Expiration (`yyyy-MM-dd HH:mm:ss`, Beijing time, more than a
 * minute ahead) and OutId, and answers `SecretBindDTO {SubsId, SecretNo}` with an X from its pool
 * (an X serves many pairs, never two that share an A or a B: isv.NO_AVAILABLE_NUMBER when none is
 * left); `UnbindSubscription` takes PoolKey, SubsId and SecretNo. Aliyun does not sign its answers
 * (they come over HTTPS), so neither does the fake. Installed by replacing `globalThis.fetch`:
 * calls to its endpoint reach the fake, everything else the real fetch.
 */
import { env } from "cloudflare:test";
import { routeFetch } from "./fetch-routes";
import { acs3Refusal } from "./aliyun-acs3";

export const PNS_ENDPOINT = "https://dyplsapi.aliyun.fake.test";
export const PNS_KEY_ID = "LTAI5tPnsFakeKeyId";
export const PNS_SECRET = "pns-fake-access-key-secret-0123";
export const PNS_POOL_KEY = "FC100000123456789";

/** The env a Worker runs with when number privacy goes to the fake. */
export function privacyEnv(over: Partial<Record<string, string>> = {}): Env {
  return {
    ...env,
    NUMBER_PRIVACY: "aliyun",
    ALIYUN_PNS_ENDPOINT: PNS_ENDPOINT,
    ALIYUN_PNS_POOL_KEY: PNS_POOL_KEY,
    ALIYUN_ACCESS_KEY_ID: PNS_KEY_ID,
    ALIYUN_ACCESS_KEY_SECRET: PNS_SECRET,
    ...over,
  } as Env;
}

export interface FakeBinding {
  subsId: string;
  poolKey: string;
  a: string;
  b: string;
  x: string;
  expiration: string;
  outId: string;
  active: boolean;
}

export interface Seen {
  action: string;
  status: number;
  code: string;
  params: Record<string, string>;
}

/** Test-controlled faults for the next answers. */
export interface Faults {
  /** Answer 503 (the gateway's own failure). */
  unavailable?: boolean;
  /** Fail the connection (fetch throws). */
  unreachable?: boolean;
  /** BindAxb answers Code OK without a SecretBindDTO (an answer that cannot be believed). */
  malformed?: boolean;
}

const MOBILE = /^1[3-9]\d{9}$/;
const EXPIRATION = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export class PnsFake {
  /** The X numbers bought into the pool. */
  pool: string[] = Array.from({ length: 20 }, (_, i) => `170${String(10_000_000 + i).slice(-8)}`);
  bindings = new Map<string, FakeBinding>();
  seen: Seen[] = [];
  faults: Faults = {};
  private next = 1_000_000_000_000;
  private restore: (() => void) | null = null;

  install(): this {
    this.restore = routeFetch([[`${PNS_ENDPOINT}/`, (req) => this.handle(req)]]);
    return this;
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  /** The bindings still in force. */
  active(): FakeBinding[] {
    return [...this.bindings.values()].filter((b) => b.active);
  }

  /** The binding made for our binding id (`OutId`). */
  byOutId(outId: string): FakeBinding | undefined {
    return [...this.bindings.values()].find((b) => b.outId === outId);
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    const params = Object.fromEntries(url.searchParams.entries());
    const action = req.headers.get("x-acs-action") ?? "";
    const answer = (status: number, payload: Record<string, unknown>) => {
      this.seen.push({ action, status, code: String(payload.Code), params });
      return Response.json({ RequestId: crypto.randomUUID().toUpperCase(), ...payload }, { status });
    };
    if (this.faults.unreachable) {
      this.seen.push({ action, status: 0, code: "unreachable", params });
      throw new TypeError("Network connection lost.");
    }
    if (this.faults.unavailable)
      return answer(503, { Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server." });
    if (req.method !== "POST") return answer(400, { Code: "UnsupportedHTTPMethod" });
    const refused = await acs3Refusal(req, body, { keyId: PNS_KEY_ID, secret: PNS_SECRET });
    if (refused) return answer(400, { Code: refused, Message: "Specified signature is not matched with our calculation." });
    if (req.headers.get("x-acs-version") !== "2017-05-25") return answer(400, { Code: "InvalidVersion" });
    if (params.PoolKey !== PNS_POOL_KEY) return answer(200, { Code: "isv.POOLKEY_NOT_EXISTS", Message: "poolKey not exsit." });
    if (action === "BindAxb") return this.bindAxb(params, answer);
    if (action === "UnbindSubscription") return this.unbind(params, answer);
    return answer(404, { Code: "InvalidAction.NotFound" });
  }

  private bindAxb(p: Record<string, string>, answer: (status: number, payload: Record<string, unknown>) => Response): Response {
    const { PhoneNoA: a = "", PhoneNoB: b = "", Expiration: expiration = "", OutId: outId = "" } = p;
    if (!MOBILE.test(a) || !MOBILE.test(b)) return answer(200, { Code: "isv.MOBILE_NUMBER_ILLEGAL", Message: "号码格式非法" });
    const m = EXPIRATION.exec(expiration);
    // Beijing time, UTC+8.
    const at = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]! - 8, +m[5]!, +m[6]!) : NaN;
    if (!(at > Date.now() + 60_000)) return answer(200, { Code: "isv.EXPIRE_DATE_ILLEGAL", Message: "过期时间非法" });
    const taken = new Set(this.active().flatMap((x) => (x.a === a || x.b === b || x.a === b || x.b === a ? [x.x] : [])));
    const x = this.pool.find((n) => !taken.has(n));
    if (!x) return answer(200, { Code: "isv.NO_AVAILABLE_NUMBER", Message: "无可用号码" });
    if (this.faults.malformed) return answer(200, { Code: "OK", Message: "OK" });
    const subsId = String((this.next += 1));
    this.bindings.set(subsId, { subsId, poolKey: p.PoolKey!, a, b, x, expiration, outId, active: true });
    return answer(200, { Code: "OK", Message: "OK", SecretBindDTO: { SubsId: subsId, SecretNo: x, Extension: "" } });
  }

  private unbind(p: Record<string, string>, answer: (status: number, payload: Record<string, unknown>) => Response): Response {
    const found = this.bindings.get(p.SubsId ?? "");
    if (!found || !found.active || found.x !== p.SecretNo) return answer(200, { Code: "isv.SUBS_NOT_EXIST", Message: "绑定关系不存在" });
    found.active = false;
    return answer(200, { Code: "OK", Message: "OK", ChargeId: "true" });
  }
}
