/**
 * CSV (RFC 4180) cells that a spreadsheet cannot run. Every cell is quoted; a text that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (CSV injection), so it is
 * prefixed with `'` inside the quotes, as OWASP recommends. Numbers we computed are written as they
 * are (a negative amount stays a number); any other value is text, neutralised the same way.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell, quoted and neutralised. */
export function csvCell(value: unknown): string {
  if (typeof value === "number" && Number.isFinite(value)) return `"${value}"`;
  const s = value === null || value === undefined ? "" : String(value);
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** One line of cells. */
export const csvLine = (values: readonly unknown[]): string => values.map(csvCell).join(",");

/** Column names fit for a bare header line (our own identifiers, never data). */
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A header line of column names (bare) and the rows (quoted, defused), CRLF-terminated. */
export function csvDocument(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const head = header.map((h) => (NAME.test(h) ? h : csvCell(h))).join(",");
  return [head, ...rows.map(csvLine)].join("\r\n") + "\r\n";
}
