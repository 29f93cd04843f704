import { AppError } from "../errors";
import { fromBase64Url, toBase64Url, utf8 } from "./encoding";

/** Opaque list cursor carrying the last id seen. */
export function encodeCursor(lastId: string): string {
  return toBase64Url(utf8(lastId));
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const id = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(cursor));
    if (/^[a-z]+_[0-9A-Za-z]+$/.test(id)) return id;
  } catch {
    // fall through to the error below
  }
  throw AppError.of("INVALID_CURSOR");
}

/** Cuts a page fetched with `limit + 1` rows into items and the next cursor. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}
