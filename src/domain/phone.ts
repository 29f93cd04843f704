/**
 * Phones are stored as E.164. Clients may send E.164 (`+8613800000000`) or a bare 11-digit
 * mainland mobile number (`13800000000`), with spaces or dashes.
 */
const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export function normalisePhone(input: string): string | null {
  const compact = input.replace(/[\s-]/g, "");
  if (MAINLAND_MOBILE.test(compact)) return `+86${compact}`;
  if (!E164.test(compact)) return null;
  if (compact.startsWith("+86") && !MAINLAND_MOBILE.test(compact.slice(3))) return null;
  return compact;
}

/** `+8613812345678` → `+86138****5678`: enough to recognise, not enough to call. */
export function maskPhone(e164: string): string {
  const cc = e164.startsWith("+86") ? "+86" : e164.slice(0, Math.max(2, e164.length - 10));
  const national = e164.slice(cc.length);
  if (national.length <= 4) return cc + "*".repeat(national.length);
  const head = national.slice(0, Math.min(3, national.length - 4));
  return cc + head + "*".repeat(national.length - head.length - 4) + national.slice(-4);
}

/**
 * A mainland number written the national way (a mobile `17012345678`, a landline with its trunk
 * `0` such as `02131075869`, a service number like `95013…`) as E.164.
 */
export function e164OfMainland(national: string): string {
  return `+86${national.replace(/^0/, "")}`;
}
