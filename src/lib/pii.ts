import { fromBase64, fromBase64Url, toBase64Url, toHex, utf8 } from "./encoding";

/**
 * Field-level encryption of personal data (phones, address text, contacts).
 *
 * `PII_KEY` is either one base64 key of 32 bytes (key id `k1`) or a comma-separated list of
 * `id:base64` pairs, newest first: the first encrypts, every listed key decrypts, so keys rotate by
 * prepending a new one. Look-up hashes (phones) are keyed by `PII_LOOKUP_KEY` when set, otherwise by
 * a key derived from the last (oldest) listed key, so rotating the encryption key keeps look-ups.
 *
 * Ciphertext format: `pii1.<keyId>.<iv>.<ciphertext+tag>` (base64url); the field name is bound in as
 * AES-GCM additional data, so a value cannot be moved to another column unnoticed. Values sealed for
 * one row (`seal`/`open`, e.g. exact coordinates) also bind the table and the row id, so a value
 * copied to another row does not decrypt either. Both kinds use the same keys, so they rotate alike.
 *
 * All PII goes through this one module, so a deployment can move it to an in-region store.
 */
export class Pii {
  private constructor(
    private readonly current: { id: string; key: CryptoKey },
    private readonly keys: Map<string, CryptoKey>,
    private readonly lookupKey: CryptoKey,
  ) {}

  private static cache = new Map<string, Promise<Pii>>();

  /** Builds (once per isolate and configuration) the cipher from the Worker's variables. */
  static fromEnv(env: { PII_KEY?: string; PII_LOOKUP_KEY?: string }): Promise<Pii> {
    const spec = `${env.PII_KEY ?? ""}|${env.PII_LOOKUP_KEY ?? ""}`;
    let pii = Pii.cache.get(spec);
    if (!pii) {
      pii = Pii.create(env.PII_KEY ?? "", env.PII_LOOKUP_KEY);
      pii.catch(() => Pii.cache.delete(spec));
      Pii.cache.set(spec, pii);
    }
    return pii;
  }

  static async create(piiKey: string, lookupKey?: string): Promise<Pii> {
    const entries = parseKeys(piiKey);
    const keys = new Map<string, CryptoKey>();
    for (const [id, raw] of entries) {
      keys.set(id, await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    }
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    const lookupRaw = lookupKey ? utf8(lookupKey) : await deriveLookupKey(last[1]);
    const hmac = await crypto.subtle.importKey("raw", lookupRaw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Pii({ id: first[0], key: keys.get(first[0])! }, keys, hmac);
  }

  async encrypt(field: string, plaintext: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(field) }, this.current.key, utf8(plaintext));
    return `pii1.${this.current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
  }

  async decrypt(field: string, blob: string): Promise<string> {
    const [version, keyId, iv, ct] = blob.split(".");
    const key = keyId ? this.keys.get(keyId) : undefined;
    if (version !== "pii1" || !key || !iv || !ct) throw new Error("unreadable PII ciphertext");
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64Url(iv), additionalData: utf8(field) }, key, fromBase64Url(ct));
    return new TextDecoder().decode(pt);
  }

  /**
   * Encrypts a value bound to one row: the additional data names the table, the field and the row
   * id, so the ciphertext decrypts only there (`open` with the same slot).
   */
  async seal(slot: PiiSlot, plaintext: string): Promise<string> {
    return this.encrypt(boundData(slot), plaintext);
  }

  /** Decrypts a value `seal`ed for this slot; throws for one sealed for another row, field or table. */
  async open(slot: PiiSlot, blob: string): Promise<string> {
    return this.decrypt(boundData(slot), blob);
  }

  /** Keyed hash for equality look-ups (hex HMAC-SHA256). */
  async lookupHash(value: string): Promise<string> {
    return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", this.lookupKey, utf8(value))));
  }
}

/** Where a row-bound value lives: its table, its column and the id of its row. */
export interface PiiSlot {
  table: string;
  field: string;
  rowId: string;
}

/**
 * The additional data of a row-bound value. The parts are NUL-separated (no name or id holds a
 * NUL), and a plain field name never holds one, so a bound value and a field-only one never share it.
 */
function boundData({ table, field, rowId }: PiiSlot): string {
  if (!table || !field || !rowId || [table, field, rowId].some((part) => part.includes("\0"))) throw new Error("invalid PII slot");
  return `row\0${table}\0${field}\0${rowId}`;
}

function parseKeys(spec: string): [string, Uint8Array<ArrayBuffer>][] {
  const parts = spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error("PII_KEY is not set");
  return parts.map((part) => {
    const colon = part.indexOf(":");
    const [id, b64] = colon > 0 ? [part.slice(0, colon), part.slice(colon + 1)] : ["k1", part];
    const raw = fromBase64(b64);
    if (raw.length !== 32) throw new Error(`PII_KEY ${id} must be 32 bytes of base64`);
    return [id, raw];
  });
}

async function deriveLookupKey(raw: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: utf8("doorstep"), info: utf8("pii-lookup") },
    base,
    256,
  );
  return new Uint8Array(bits);
}
