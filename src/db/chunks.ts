/**
 * D1 binds at most 100 parameters per statement (SQLite's limit there, enforced locally as in
 * production). A query over a list of ids of unknown length is split into statements of at most
 * `size` ids each, leaving room for the statement's other parameters.
 */
export const D1_MAX_PARAMS = 100;

/** `list` in consecutive parts of at most `size` items (none when the list is empty). */
export function chunked<T>(list: readonly T[], size = 90): T[][] {
  if (size < 1) throw new RangeError("chunk size must be at least 1");
  const parts: T[][] = [];
  for (let i = 0; i < list.length; i += size) parts.push(list.slice(i, i + size));
  return parts;
}
