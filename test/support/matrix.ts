/**
 * Runs the authorization matrix (test/security/authorization-matrix.ts): every operation of
 * `/openapi.json` × every actor of the matrix world, each answer compared with what the entry says
 * the actor should get.
 */
import { ACTORS, rolesOf, type Actor, type MatrixWorld, Objects } from "./matrix-world";
import { call, callBytes, type Called } from "./http";
import { newId } from "../../src/lib/ids";

/** The parts of a matrix entry the runner reads (the entries live in test/security). */
export interface RunnableEntry {
  roles: "public" | "signed-in" | readonly string[];
  reach?: readonly Actor[];
  request: (
    o: Objects,
    actor: Actor,
  ) =>
    | { path: string; body?: unknown; bytes?: { type: string; bytes: Uint8Array } }
    | Promise<{ path: string; body?: unknown; bytes?: { type: string; bytes: Uint8Array } }>;
  fresh?: boolean | "each";
  token?: (o: Objects, actor: Exclude<Actor, "anonymous">) => Promise<string>;
  shows?: { to: readonly Actor[]; id: (o: Objects) => Promise<string> | string };
  alsoAllowed?: readonly number[];
}

/** Every operation of the OpenAPI document, as `METHOD /path`. */
export async function documentedOperations(): Promise<string[]> {
  const doc = await call("GET", "/openapi.json");
  if (doc.status !== 200) throw new Error(`openapi.json: ${doc.status}`);
  return Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

export type Expected = 401 | 403 | 404 | "allowed";

/** What `actor` should get from the operation of `entry` on side A's object. */
export function expectedFor(entry: RunnableEntry, actor: Actor, roles: readonly string[]): Expected {
  if (entry.roles === "public") return "allowed";
  if (actor === "anonymous") return 401;
  if (entry.roles !== "signed-in" && !roles.some((r) => (entry.roles as readonly string[]).includes(r))) return 403;
  if (entry.reach && !entry.reach.includes(actor)) return 404;
  return "allowed";
}

const DENIALS = new Set([401, 403, 404]);

/** Whether an answer is what was expected; a denial must be problem+json. */
export function matches(entry: RunnableEntry, expected: Expected, res: Called): boolean {
  if (expected === "allowed") {
    if (entry.alsoAllowed?.includes(res.status)) return true;
    return !DENIALS.has(res.status) && (res.status < 300 || res.status === 409 || res.status === 422);
  }
  return res.status === expected && String(res.headers.get("Content-Type")).startsWith("application/problem+json");
}

/** Sends the operation `key` (`METHOD /path`) as `actor`. */
export async function send(world: MatrixWorld, objects: Objects, key: string, actor: Actor, entry: RunnableEntry): Promise<Called> {
  const method = key.slice(0, key.indexOf(" "));
  const req = await entry.request(objects, actor);
  const token = actor === "anonymous" ? undefined : entry.token ? await entry.token(objects, actor) : world.sessions[actor].token;
  if (req.bytes) return callBytes(method, req.path, { token, type: req.bytes.type, bytes: req.bytes.bytes });
  return call(method, req.path, {
    token,
    headers: { "Idempotency-Key": newId("key") },
    body: req.body ?? (method === "GET" || method === "DELETE" ? undefined : {}),
  });
}

export interface Mismatch {
  actor: Actor;
  expected: Expected;
  got: number;
  body: string;
}

/** The keys of `keys` in part `part` (1-based) of `parts`: the matrix runs in several files, each with its own world. */
export function partOf<T>(keys: readonly T[], part: number, parts: number): T[] {
  return keys.filter((_, i) => i % parts === part - 1);
}

/**
 * Calls the operation as every actor, those who must be denied first (so a hole cannot spoil the
 * object for the others), and answers every answer that differs from the expected one.
 */
export async function runEntry(world: MatrixWorld, shared: Objects, key: string, entry: RunnableEntry): Promise<Mismatch[]> {
  const expectations = new Map(ACTORS.map((a) => [a, expectedFor(entry, a, rolesOf(world, a))]));
  const order = [...ACTORS].sort((a, b) => Number(expectations.get(a) === "allowed") - Number(expectations.get(b) === "allowed"));
  const denied = entry.fresh ? shared.fresh() : shared;
  // A list's object exists before anyone asks for the list.
  const shownId = entry.shows ? await entry.shows.id(denied) : undefined;
  const out: Mismatch[] = [];
  for (const actor of order) {
    const expected = expectations.get(actor)!;
    // An operation that removes its object gets it afresh for every caller allowed to.
    const objects = entry.fresh === "each" && expected === "allowed" ? shared.fresh() : denied;
    const res = await send(world, objects, key, actor, entry);
    if (!matches(entry, expected, res)) out.push({ actor, expected, got: res.status, body: JSON.stringify(res.body).slice(0, 200) });
    else if (entry.shows && shownId !== undefined && expected === "allowed" && res.status === 200) {
      const id = shownId;
      const shown = JSON.stringify(res.body).includes(id);
      if (shown !== entry.shows.to.includes(actor)) {
        out.push({ actor, expected, got: res.status, body: `${shown ? "shows" : "does not show"} side A's ${id}` });
      }
    }
  }
  return out;
}
