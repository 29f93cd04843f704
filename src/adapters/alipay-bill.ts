/**
 * Alipay's daily trade bill: `alipay.data.dataservice.bill.downloadurl.query` (bill_type trade),
 * signed and its answer verified by the gateway client, names `bill_download_url` (valid for 30 s).
 * That URL serves a ZIP of CSV files encoded in GBK: the 业务明细 (one line per payment or refund)
 * and its 汇总. The archive is read here (entries' CRC-32 checked) and the detail file decoded
 * with the runtime's own GBK decoder (workerd's TextDecoder knows "gbk"). No bill for the day
 * (`isp.bill_not_exist`) is an empty bill; a timeout, a 5xx, an unverifiable answer or a broken
 * archive throw `AlipayUnavailableError`, to be tried again.
 */
import { unzip, ZipError } from "../lib/zip";
import { config } from "../config";
import { alipayCall, AlipayUnavailableError, reasonOf } from "./alipay";

const METHOD = "alipay.data.dataservice.bill.downloadurl.query";
/** The largest archive accepted. */
const MAX_ARCHIVE_BYTES = 32 * 1024 * 1024;
/** The detail file's header starts with this column. */
const DETAIL_HEADER = "支付宝交易号";

const gbk = (bytes: Uint8Array) => new TextDecoder("gbk").decode(bytes);

/** The 业务明细 CSV of the trade bill of `billDate` (YYYY-MM-DD) as text; null when Alipay has no bill for it. */
export async function alipayTradeBill(env: Env, billDate: string): Promise<string | null> {
  const a = await alipayCall(env, METHOD, { bill_type: "trade", bill_date: billDate });
  if (a.code !== "10000") {
    if (a.sub_code === "isp.bill_not_exist") return null;
    throw new AlipayUnavailableError(METHOD, reasonOf(a));
  }
  const link = a.bill_download_url;
  if (typeof link !== "string" || !/^https?:\/\//.test(link)) throw new AlipayUnavailableError(METHOD, "answer without bill_download_url");
  let res: Response;
  try {
    res = await fetch(link, { signal: AbortSignal.timeout(config(env).ALIPAY_TIMEOUT_MS) });
  } catch (err) {
    throw new AlipayUnavailableError(METHOD, `bill download failed (${String(err)})`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new AlipayUnavailableError(METHOD, `bill download answered HTTP ${res.status}`);
  }
  const archive = new Uint8Array(await res.arrayBuffer());
  if (archive.byteLength > MAX_ARCHIVE_BYTES) throw new AlipayUnavailableError(METHOD, "bill archive too large");
  let entries;
  try {
    entries = await unzip(archive);
  } catch (err) {
    throw new AlipayUnavailableError(METHOD, `bill archive unreadable (${err instanceof ZipError ? err.message : String(err)})`);
  }
  // The detail file, not its summary (业务明细(汇总)), whose header is another.
  for (const entry of entries) {
    const name = entry.utf8Name ? new TextDecoder().decode(entry.nameBytes) : gbk(entry.nameBytes);
    if (!name.toLowerCase().endsWith(".csv") || name.includes("汇总")) continue;
    const text = gbk(entry.data);
    if (text.split(/\r?\n/).some((l) => l.startsWith(DETAIL_HEADER))) return text;
  }
  throw new AlipayUnavailableError(METHOD, "bill archive without the 业务明细 file");
}
