/**
 * Idempotency-Key handling (the IETF draft): the first request with a key runs; a retry with the
 * same body gets the stored answer (Idempotent-Replayed: true); a retry while the first still runs
 * gets 409; the same key with a different body gets 422. Keys are per caller and kept at least 24 h.
 * A request holds its key for IDEMPOTENCY_LEASE_SECONDS: if it dies without an answer, a retry
 * after the lease takes the key over, and the dead request's late write (if it was only slow) is
 * refused by the claim guard its order write carries.
 */
import { getDb } from "../db/client";
import { config } from "../config";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  holdsIdempotencyClaim,
  idempotencyAnswer,
  releaseIdempotencyKey,
  stillHoldsIdempotencyClaim,
  type IdempotencyRow,
} from "../db/repositories/orders.repo";
import type { Guard } from "../db/repositories/statements";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type FieldError, type Message } from "../errors";
import { sha256Hex } from "../lib/encoding";
import { Pii } from "../lib/pii";

export interface Outcome {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Parses the header: a bare token or a quoted string (RFC 8941), 1–255 visible characters. */
export function parseIdempotencyKey(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header.trim() === "") {
    if (!required) return undefined;
    throw AppError.of("IDEMPOTENCY_KEY_REQUIRED", {}, { errors: [{ path: "header.Idempotency-Key", message: "required" }] });
  }
  const trimmed = header.trim();
  const key = trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "header.Idempotency-Key", message: "1–255 visible ASCII characters" }] });
  }
  return key;
}

/**
 * The statement that stores a request's answer, for the D1 batch of the write it answers, applied
 * only while `guard` holds there (that write won). The answer is then stored atomically with the
 * write it reports: a fault after the batch cannot lose it, and no separate write follows.
 */
export type Seal = (status: number, body: unknown, guard: Guard) => Promise<D1PreparedStatement>;

/** The running request's hold on its key: a guard for its write, and a check after a write that did not happen. */
export interface Claim {
  /** True in a D1 batch only while this request still holds the key (no retry took it over). */
  guard: Guard;
  /** Whether this request still holds the key now. */
  held(): Promise<boolean>;
}

/** Stored answers may carry secrets (an order's start code): they are kept encrypted like PII. */
export async function storable(env: Env, answer: unknown): Promise<string> {
  return (await Pii.fromEnv(env)).encrypt("idempotency_answer", JSON.stringify(answer));
}

export async function readable(env: Env, stored: string): Promise<unknown> {
  // Answers stored before they were encrypted are plain JSON.
  return JSON.parse(stored.startsWith("pii1.") ? await (await Pii.fromEnv(env)).decrypt("idempotency_answer", stored) : stored) as unknown;
}

/** The stored answer given again: its body, or the refusal it was (thrown as it was first answered). */
async function replayOf(env: Env, status: number, body: string): Promise<Outcome> {
  const stored = await readable(env, body);
  if (status >= 400) {
    const p = stored as { code: string; detail: Message; errors: FieldError[] | null };
    throw AppError.replay(status as ContentfulStatusCode, p.code, p.detail, {
      errors: p.errors ?? undefined,
      headers: { "Idempotent-Replayed": "true" },
    });
  }
  return { status, body: stored, replayed: true };
}

/**
 * What a request with `requestHash` gets under a key that already has a row: the stored answer
 * (replayed), 422 for another body, 409 while a claim is still in flight.
 */
export function answerOf(env: Env, row: IdempotencyRow, requestHash: string): Promise<Outcome> {
  if (row.requestHash !== requestHash) throw AppError.of("IDEMPOTENCY_KEY_REUSED");
  if (row.state === "in_flight") throw inFlight();
  return replayOf(env, row.statusCode ?? 200, row.body ?? "null");
}

/** The refusal of a retry while the first request with its key still runs. */
export function inFlight(): AppError {
  return AppError.of("IDEMPOTENCY_IN_FLIGHT", {}, { headers: { "Retry-After": "1" } });
}

/** A refusal as stored under its key and replayed (code, message, field errors). */
export async function storableRefusal(env: Env, err: AppError): Promise<string> {
  return storable(env, { code: err.code, detail: err.detail, errors: err.options.errors ?? null });
}

const NOTHING_SEALED = Symbol("nothing sealed");

/**
 * Runs `run` once per (caller, key). Client errors (4xx) are stored and replayed like successes;
 * an unexpected fault before the answer is stored frees the key so the client can retry. `run`
 * may store its answer itself with `seal`, in the batch of its write: returning the very body it
 * sealed says that batch ran and the answer is stored; any other body is stored afterwards.
 */
export async function idempotent(
  env: Env,
  accountId: string,
  key: string,
  body: unknown,
  run: (seal: Seal, claim: Claim) => Promise<{ status: number; body: unknown }>,
): Promise<Outcome> {
  const db = getDb(env);
  const hash = await sha256Hex(JSON.stringify(body ?? null));
  const claim = await claimIdempotencyKey(db, accountId, key, hash, config(env).IDEMPOTENCY_LEASE_SECONDS * 1000);
  if (claim.kind === "mismatch") {
    throw AppError.of("IDEMPOTENCY_KEY_REUSED");
  }
  if (claim.kind === "in_flight") throw inFlight();
  if (claim.kind === "replay") return replayOf(env, claim.status, claim.body);
  const { claimId } = claim;
  // The answer is stored already when `run` returns the very body it last sealed.
  let sealed: unknown = NOTHING_SEALED;
  async function seal(status: number, answer: unknown, guard: Guard): Promise<D1PreparedStatement> {
    sealed = answer;
    return idempotencyAnswer(db, accountId, key, claimId, status, await storable(env, answer), guard);
  }
  const held: Claim = {
    guard: holdsIdempotencyClaim(accountId, key, claimId),
    held: () => stillHoldsIdempotencyClaim(db, accountId, key, claimId),
  };
  try {
    const result = await run(seal, held);
    if (result.body !== sealed) await completeIdempotencyKey(db, accountId, key, claimId, result.status, await storable(env, result.body));
    return { ...result, replayed: false };
  } catch (err) {
    // Both only touch a key this request still holds: an answer sealed before the fault stays the answer.
    if (err instanceof AppError && err.status < 500) {
      // A refusal (slot taken, bad quote) is the answer to this request: a retry gets it again.
      await completeIdempotencyKey(db, accountId, key, claimId, err.status, await storableRefusal(env, err));
    } else {
      await releaseIdempotencyKey(db, accountId, key, claimId);
    }
    throw err;
  }
}
