/**
 * A small ZIP reader for the Workers runtime (no zlib binding there): the end-of-central-directory
 * record, the central directory, each entry's local header, and its data either stored or
 * deflated (method 8, inflated with `DecompressionStream("deflate-raw")`). Every entry's CRC-32 and
 * size are checked; encrypted entries, ZIP64 and anything past the size limits are refused.
 * Enough for the bill archives providers hand out, not a general archiver.
 */

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

export interface ZipEntry {
  /** The name's bytes as stored (flag bit 11 set: UTF-8; otherwise the archiver's code page, e.g. GBK). */
  nameBytes: Uint8Array;
  utf8Name: boolean;
  data: Uint8Array;
}

export interface ZipLimits {
  maxEntries: number;
  /** The most bytes one entry may inflate to. */
  maxEntryBytes: number;
}

const DEFAULT_LIMITS: ZipLimits = { maxEntries: 32, maxEntryBytes: 64 * 1024 * 1024 };

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

let table: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, as ZIP and gzip use it). */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Reads a stream to its end, refusing more than `max` bytes. */
export async function readAtMost(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new ZipError(`more than ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Inflates raw DEFLATE data (no zlib or gzip wrapper), at most `max` bytes. */
export function inflateRaw(bytes: Uint8Array, max: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return readAtMost(stream, max).catch((err: unknown) => {
    throw err instanceof ZipError ? err : new ZipError(`bad deflate data (${String(err)})`);
  });
}

/** The entries of a ZIP archive, in central-directory order, each checked against its CRC-32. */
export async function unzip(bytes: Uint8Array, limits: ZipLimits = DEFAULT_LIMITS): Promise<ZipEntry[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const need = (at: number, n: number) => {
    if (at < 0 || at + n > bytes.byteLength) throw new ZipError("truncated archive");
  };
  // The end record sits in the last 22 bytes plus a comment of up to 65 535.
  let end = -1;
  for (let at = bytes.byteLength - 22; at >= Math.max(0, bytes.byteLength - 22 - 0xffff); at--) {
    if (u32(at) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new ZipError("not a ZIP archive (no end of central directory)");
  const count = u16(end + 10);
  const dirOffset = u32(end + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new ZipError("ZIP64 archives are not supported");
  if (count > limits.maxEntries) throw new ZipError(`more than ${limits.maxEntries} entries`);
  const entries: ZipEntry[] = [];
  let at = dirOffset;
  for (let n = 0; n < count; n++) {
    need(at, 46);
    if (u32(at) !== CENTRAL) throw new ZipError("bad central directory");
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    const compressed = u32(at + 20);
    const size = u32(at + 24);
    const nameLen = u16(at + 28);
    const skip = nameLen + u16(at + 30) + u16(at + 32);
    const local = u32(at + 42);
    need(at + 46, skip);
    const nameBytes = bytes.slice(at + 46, at + 46 + nameLen);
    at += 46 + skip;
    if (flags & 1) throw new ZipError("encrypted entries are not supported");
    if (size > limits.maxEntryBytes) throw new ZipError(`an entry of more than ${limits.maxEntryBytes} bytes`);
    need(local, 30);
    if (u32(local) !== LOCAL) throw new ZipError("bad local header");
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    need(start, compressed);
    const raw = bytes.subarray(start, start + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw.slice();
    else if (method === 8) data = await inflateRaw(raw, limits.maxEntryBytes);
    else throw new ZipError(`compression method ${method} is not supported`);
    if (data.byteLength !== size || crc32(data) !== crc) throw new ZipError("an entry fails its CRC-32 or size check");
    entries.push({ nameBytes, utf8Name: (flags & 0x800) !== 0, data });
  }
  return entries;
}
