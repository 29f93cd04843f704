/** Masking of account identifiers and names for views: enough to recognise, not enough to use. */

/** Keeps the first and last characters of an account, e.g. `oUp****eS6o`, `138****8000`. */
export function maskAccount(value: string): string {
  const chars = [...value];
  if (chars.length <= 4) return `${chars[0] ?? ""}***`;
  const keep = chars.length >= 10 ? 3 : 1;
  return `${chars.slice(0, keep).join("")}****${chars.slice(-4).join("")}`;
}

/** Keeps only the last character of a name, e.g. `**明`. */
export function maskName(value: string): string {
  const chars = [...value];
  return chars.length <= 1 ? "*" : `${"*".repeat(chars.length - 1)}${chars[chars.length - 1]}`;
}
