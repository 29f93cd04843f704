/**
 * WeChat Pay's daily trade bill (申请交易账单, API v3): `GET /v3/bill/tradebill?bill_date=…&bill_type=ALL&tar_type=GZIP`,
 * signed and its answer verified like every other call, names a `download_url` valid for 30 s and
 * the SHA1 of the bill. The file itself is fetched with a signed Authorization too, but its answer
 * carries no signature: it is believed only when the SHA1 of the (gunzipped) bill equals
 * `hash_value` from the verified answer. A bill that does not exist (NO_STATEMENT_EXIST: no
 * trade that day) is an empty bill; one still being made (STATEMENT_CREATING), a timeout, a 5xx, a
 * bad signature or a wrong hash throw a retryable `ProviderError`.
 */
import { toHex } from "../lib/encoding";
import { readAtMost } from "../lib/zip";
import { ProviderError } from "./provider-error";
import { wechatpayApi } from "./wechatpay";

/** The largest bill accepted (gunzipped). */
const MAX_BILL_BYTES = 64 * 1024 * 1024;

/** The trade bill of `billDate` (YYYY-MM-DD) as text; null when WeChat Pay has none (no trades that day). */
export async function wechatpayTradeBill(env: Env, billDate: string): Promise<string | null> {
  const { call, refused, authorize, unreachable, base, cfg } = wechatpayApi(env);
  const a = await call("GET", `/v3/bill/tradebill?bill_date=${encodeURIComponent(billDate)}&bill_type=ALL&tar_type=GZIP`);
  if (a.status !== 200 || !a.body) {
    if (a.body?.code === "NO_STATEMENT_EXIST") return null;
    if (a.body?.code === "STATEMENT_CREATING")
      throw new ProviderError("wechatpay: the trade bill is still being made", true, a.status, "STATEMENT_CREATING");
    throw refused("trade bill", a);
  }
  const { download_url: link, hash_type: hashType, hash_value: hashValue } = a.body;
  if (typeof link !== "string" || hashType !== "SHA1" || typeof hashValue !== "string" || !/^[0-9a-f]{40}$/i.test(hashValue)) {
    throw new ProviderError("wechatpay: trade bill answer without download_url or SHA1 hash", true);
  }
  const url = new URL(link);
  // The signed Authorization goes only to WeChat Pay's own API.
  if (url.origin !== new URL(base).origin) throw new ProviderError("wechatpay: the bill download_url is not on the API's host", true);
  const what = "wechatpay: bill download";
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: await authorize("GET", url, ""), Accept: "*/*", "User-Agent": "Doorstep/1.0" },
      signal: AbortSignal.timeout(cfg.WECHATPAY_TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(what, err);
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new ProviderError(`${what} answered ${res.status}`, true, res.status);
  }
  let bill: Uint8Array;
  try {
    bill = await readAtMost(res.body.pipeThrough(new DecompressionStream("gzip")), MAX_BILL_BYTES);
  } catch (err) {
    throw new ProviderError(`${what}: not a readable gzip file (${String(err)})`, true);
  }
  const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", bill as Uint8Array<ArrayBuffer>)));
  if (digest !== hashValue.toLowerCase()) throw new ProviderError(`${what}: the file's SHA1 does not match hash_value`, true);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bill);
  } catch {
    throw new ProviderError(`${what}: the bill is not UTF-8`, true);
  }
}
