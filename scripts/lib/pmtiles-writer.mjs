// Writes a PMTiles v3 archive (https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md): the
// 127-byte header, one root directory, the metadata JSON and the tile data, clustered (tiles in
// tile-id order). Directories, metadata and tiles are gzip-compressed. Identical tiles are stored
// once; consecutive tile ids with the same bytes share one directory entry (run length). Everything
// is deterministic: the same tiles and metadata give the same bytes.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { zxyToTileId } from "pmtiles";

const HEADER_BYTES = 127;
const ROOT_LIMIT = 16384 - HEADER_BYTES; // a reader fetches the first 16 KiB: header and root directory
const COMPRESSION_GZIP = 2;
const TILE_TYPE_MVT = 1;

const gzip = (bytes) => gzipSync(bytes, { level: 9 });

function varints(values) {
  const out = [];
  for (let v of values) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`varint out of range: ${v}`);
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  }
  return Buffer.from(out);
}

/** A directory's bytes (spec §4): count, tile-id deltas, run lengths, lengths, offsets (0 = right after the previous entry). */
function directoryBytes(entries) {
  const ids = [];
  let last = 0;
  for (const e of entries) {
    ids.push(e.tileId - last);
    last = e.tileId;
  }
  const offsets = entries.map((e, i) => (i > 0 && e.offset === entries[i - 1].offset + entries[i - 1].length ? 0 : e.offset + 1));
  return varints([entries.length, ...ids, ...entries.map((e) => e.runLength), ...entries.map((e) => e.length), ...offsets]);
}

const e7 = (deg) => Math.round(deg * 1e7);

/**
 * The archive's bytes.
 * @param {{ z: number, x: number, y: number, data: Uint8Array }[]} tiles uncompressed MVT tiles
 * @param {{ bounds: [number, number, number, number], center: [number, number, number], minZoom: number, maxZoom: number, metadata: object }} info
 */
export function writePmtiles(tiles, { bounds, center, minZoom, maxZoom, metadata }) {
  const byId = tiles.map((t) => ({ tileId: zxyToTileId(t.z, t.x, t.y), data: t.data })).sort((a, b) => a.tileId - b.tileId);
  const contents = new Map(); // sha256 → { offset, length }
  const chunks = [];
  let dataLength = 0;
  const entries = [];
  for (const { tileId, data } of byId) {
    const key = createHash("sha256").update(data).digest("hex");
    let stored = contents.get(key);
    if (!stored) {
      const bytes = gzip(data);
      stored = { offset: dataLength, length: bytes.length };
      contents.set(key, stored);
      chunks.push(bytes);
      dataLength += bytes.length;
    }
    const prev = entries.at(-1);
    if (prev && prev.offset === stored.offset && prev.tileId + prev.runLength === tileId) prev.runLength += 1;
    else entries.push({ tileId, offset: stored.offset, length: stored.length, runLength: 1 });
  }
  const root = gzip(directoryBytes(entries));
  if (root.length > ROOT_LIMIT) throw new Error(`root directory of ${root.length} bytes: more tiles than one root directory holds`);
  const meta = gzip(Buffer.from(JSON.stringify(metadata)));

  const rootOffset = HEADER_BYTES;
  const metaOffset = rootOffset + root.length;
  const dataOffset = metaOffset + meta.length;
  const header = Buffer.alloc(HEADER_BYTES);
  header.write("PMTiles", 0, "ascii");
  header.writeUInt8(3, 7);
  const u64 = (value, at) => header.writeBigUInt64LE(BigInt(value), at);
  u64(rootOffset, 8);
  u64(root.length, 16);
  u64(metaOffset, 24);
  u64(meta.length, 32);
  u64(dataOffset, 40); // leaf directories: none
  u64(0, 48);
  u64(dataOffset, 56);
  u64(dataLength, 64);
  u64(byId.length, 72); // addressed tiles
  u64(entries.length, 80); // tile entries
  u64(contents.size, 88); // tile contents
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(COMPRESSION_GZIP, 97); // internal compression
  header.writeUInt8(COMPRESSION_GZIP, 98); // tile compression
  header.writeUInt8(TILE_TYPE_MVT, 99);
  header.writeUInt8(minZoom, 100);
  header.writeUInt8(maxZoom, 101);
  header.writeInt32LE(e7(bounds[0]), 102);
  header.writeInt32LE(e7(bounds[1]), 106);
  header.writeInt32LE(e7(bounds[2]), 110);
  header.writeInt32LE(e7(bounds[3]), 114);
  header.writeUInt8(center[2], 118);
  header.writeInt32LE(e7(center[0]), 119);
  header.writeInt32LE(e7(center[1]), 123);
  return Buffer.concat([header, root, meta, ...chunks]);
}
