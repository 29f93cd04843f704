/**
 * The SSRF guard of a subscription's URL, asked when it is saved and again before every send (a name
 * may point elsewhere by then). Without DNS (`checkUrl`, src/domain/webhooks.ts): https only, no
 * literal private, loopback, link-local or metadata address, no local name. With `WEBHOOK_DOH_URL` set
 * the host name is resolved over DNS-over-HTTPS (A and AAAA, JSON API) and refused when any address
 * is not public or when it does not resolve. Without it a public-looking name is not resolved: a
 * name that points at a private address is not caught here (Workers' own `fetch` does not reach the
 * Worker's internal network, but the name is taken on trust).
 */
import { config } from "../config";
import { addressRefusal, checkUrl, type UrlRefusal } from "../domain/webhooks";
import { AppError } from "../errors";

/** What each refusal means, for the problem's detail. */
export const REFUSAL_TEXT: Record<UrlRefusal, { en: string; zh: string }> = {
  invalid_url: { en: "it is not a valid URL", zh: "不是有效的网址" },
  not_https: { en: "it must use https", zh: "必须使用 https" },
  credentials_in_url: { en: "it must not contain a user name or password", zh: "不得包含用户名或密码" },
  local_name: { en: "it names a local host or network", zh: "指向本机或内网主机名" },
  private_address: { en: "it points at a private or reserved address", zh: "指向私有或保留地址" },
  loopback_address: { en: "it points at a loopback address", zh: "指向回环地址" },
  link_local_address: { en: "it points at a link-local address", zh: "指向链路本地地址" },
  metadata_address: { en: "it points at a cloud metadata service", zh: "指向云元数据服务" },
  unresolvable: { en: "its host name does not resolve", zh: "主机名无法解析" },
};

interface DohAnswer {
  Status?: number;
  Answer?: { type: number; data: string }[];
}

/** Resolves `name` (A and AAAA) over DoH; the refusal of the first address that is not public, or of no address. */
async function resolveRefusal(doh: string, name: string): Promise<UrlRefusal | null> {
  const addresses: string[] = [];
  for (const type of ["A", "AAAA"]) {
    const url = new URL(doh);
    url.searchParams.set("name", name);
    url.searchParams.set("type", type);
    const res = await fetch(url, { headers: { accept: "application/dns-json" } });
    if (!res.ok) throw new Error(`DNS-over-HTTPS answered ${res.status}`);
    const body: DohAnswer = await res.json();
    for (const a of body.Answer ?? []) if (a.type === 1 || a.type === 28) addresses.push(a.data);
  }
  if (addresses.length === 0) return "unresolvable";
  for (const a of addresses) {
    const refusal = addressRefusal(a);
    if (refusal) return refusal;
  }
  return null;
}

/** The URL when it may be sent to, else the refusal. Throws only when DoH itself fails. */
export async function guardUrl(env: Env, raw: string): Promise<{ ok: true; url: URL } | { ok: false; reason: UrlRefusal }> {
  const cfg = config(env);
  const checked = checkUrl(raw, { allowLocalHttp: cfg.WEBHOOK_ALLOW_LOCAL_HTTP });
  if (!checked.ok) return checked;
  if (checked.dnsName && cfg.WEBHOOK_DOH_URL) {
    const refusal = await resolveRefusal(cfg.WEBHOOK_DOH_URL, checked.dnsName);
    if (refusal) return { ok: false, reason: refusal };
  }
  return { ok: true, url: checked.url };
}

/** `guardUrl` for a URL a caller gives: 422 WEBHOOK_URL_REFUSED with `reason` when refused. */
export async function requireSafeUrl(env: Env, raw: string): Promise<string> {
  let result: Awaited<ReturnType<typeof guardUrl>>;
  try {
    result = await guardUrl(env, raw);
  } catch {
    result = { ok: false, reason: "unresolvable" };
  }
  if (result.ok) return result.url.toString();
  throw AppError.of(
    "WEBHOOK_URL_REFUSED",
    { why: REFUSAL_TEXT[result.reason] },
    { errors: [{ path: "body.url", message: result.reason }], extra: { reason: result.reason } },
  );
}
