/**
 * Byte ranges of stored files (RFC 9110 §14): one `Range: bytes=…` range answered with 206 Partial
 * Content, anything else that asks for no byte of the file with 416. Shared by every route that
 * streams an R2 object in parts (training media, basemap archives).
 */
import { AppError } from "../errors";
import { fileHeaders, type StoredFile } from "./openapi";

export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * The byte range a `Range` header asks for: null when there is no header (send the whole file). A
 * header that is not one `bytes=` range (another unit, several ranges, `bytes=5-3`, garbage) or asks
 * for nothing inside the file (`bytes=5000-` of 4096 bytes, `bytes=-0`, any range of an empty file)
 * is 416 RANGE_NOT_SATISFIABLE with `Content-Range: bytes *\/<size>` (RFC 9110 §15.5.17).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined || header.trim() === "") return null;
  const unsatisfiable = () =>
    AppError.of("RANGE_NOT_SATISFIABLE", { size }, { headers: { "Content-Range": `bytes */${size}` }, extra: { size } });
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "") || size === 0) throw unsatisfiable();
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable();
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) throw unsatisfiable();
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) throw unsatisfiable();
  return { offset: start, length: end - start + 1 };
}

/** A stored file, whole or the part `range` names; no body when only its headers are asked for (HEAD). */
export interface RangedFile extends Omit<StoredFile, "body"> {
  body: ReadableStream | null;
  range: ByteRange | null;
}

/** The file as a response: 206 with `Content-Range` for a range, else 200; `Accept-Ranges: bytes` either way. */
export function rangedFileResponse(file: RangedFile, cacheControl: string): Response {
  const headers: Record<string, string> = { ...fileHeaders(file, cacheControl), "Accept-Ranges": "bytes" };
  if (!file.range) return new Response(file.body, { status: 200, headers });
  const { offset, length } = file.range;
  headers["Content-Range"] = `bytes ${offset}-${offset + length - 1}/${file.size}`;
  headers["Content-Length"] = String(length);
  return new Response(file.body, { status: 206, headers });
}
