/**
 * Idempotency-Key handling (the IETF draft): the first request with a key runs; a retry with the
 * same body gets the stored answer (Idempotent-Replayed: true); a retry while the first still runs
 * gets 409; the same key with a different body gets 422. Keys are per caller and kept at least 24 h.
 */
import { getDb } from "../db/client";
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from "../db/repositories/orders.repo";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, BadRequestError, ConflictError, type FieldError, type Message } from "../errors";
import { sha256Hex } from "../lib/encoding";

export interface Outcome {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Parses the header: a bare token or a quoted string (RFC 8941), 1–255 visible characters. */
export function parseIdempotencyKey(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header.trim() === "") {
    if (!required) return undefined;
    throw new BadRequestError(
      "IDEMPOTENCY_KEY_REQUIRED",
      { en: "Send an Idempotency-Key header.", zh: "请提供 Idempotency-Key 请求头。" },
      { errors: [{ path: "header.Idempotency-Key", message: "required" }] },
    );
  }
  const trimmed = header.trim();
  const key = trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new BadRequestError(
      "VALIDATION_FAILED",
      { en: "The Idempotency-Key is malformed.", zh: "Idempotency-Key 格式不正确。" },
      { errors: [{ path: "header.Idempotency-Key", message: "1–255 visible ASCII characters" }] },
    );
  }
  return key;
}

/**
 * Runs `run` once per (caller, key). Client errors (4xx) are stored and replayed like successes;
 * an unexpected fault frees the key so the client can retry.
 */
export async function idempotent(
  env: Env,
  accountId: string,
  key: string,
  body: unknown,
  run: () => Promise<{ status: number; body: unknown }>,
): Promise<Outcome> {
  const db = getDb(env);
  const hash = await sha256Hex(JSON.stringify(body ?? null));
  const claim = await claimIdempotencyKey(db, accountId, key, hash);
  if (claim.kind === "mismatch") {
    throw new AppError(422, "IDEMPOTENCY_KEY_REUSED", {
      en: "This Idempotency-Key was used with a different request.",
      zh: "该 Idempotency-Key 已用于不同的请求。",
    });
  }
  if (claim.kind === "in_flight") {
    throw new ConflictError(
      "IDEMPOTENCY_IN_FLIGHT",
      { en: "A request with this Idempotency-Key is still running.", zh: "相同 Idempotency-Key 的请求仍在处理中。" },
      { headers: { "Retry-After": "1" } },
    );
  }
  if (claim.kind === "replay") {
    const stored = JSON.parse(claim.body) as unknown;
    if (claim.status >= 400) {
      const p = stored as { code: string; detail: Message; errors: FieldError[] | null };
      throw new AppError(claim.status as ContentfulStatusCode, p.code, p.detail, {
        errors: p.errors ?? undefined,
        headers: { "Idempotent-Replayed": "true" },
      });
    }
    return { status: claim.status, body: stored, replayed: true };
  }
  try {
    const result = await run();
    await completeIdempotencyKey(db, accountId, key, result.status, JSON.stringify(result.body));
    return { ...result, replayed: false };
  } catch (err) {
    if (err instanceof AppError && err.status < 500) {
      // A refusal (slot taken, bad quote) is the answer to this request: a retry gets it again.
      await completeIdempotencyKey(
        db,
        accountId,
        key,
        err.status,
        JSON.stringify({ code: err.code, detail: err.detail, errors: err.options.errors ?? null }),
      );
    } else {
      await releaseIdempotencyKey(db, accountId, key);
    }
    throw err;
  }
}
