/**
 * The one logger: every line the Worker and its cells write is one JSON object
 * (`{"level","msg",…fields}`) passed through `redact` (src/lib/redact.ts) first, so no phone,
 * address, code, token or secret reaches the logs whatever a caller hands it. Nothing in src/ or
 * durable/ calls `console` directly.
 */
import { redact } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The JSON line `log` writes for these fields (exported for the tests). */
export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify(redact({ level, msg, ...fields }));
}

/** Writes one structured line: `error` to console.error, `warn` to console.warn, the rest to console.log. */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = logLine(level, msg, fields);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => log("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => log("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => log("error", msg, fields),
};
