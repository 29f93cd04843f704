/**
 * Fuzzing every operation of /openapi.json, one part of the operations per file (test/support/fuzz.ts):
 * no 5xx, every 4xx a catalogued problem+json, and a request answered 4xx writes nothing to D1.
 * Requests are one step away from the valid request the authorization matrix builds for the
 * operation (so they reach the code behind validation), or anything at all; fast-check with a fixed
 * seed and a bounded number of runs per operation, so every run sends the same requests.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  changedTables,
  mutationsOf,
  operationsOf,
  requestsFor,
  sendFuzz,
  settledCounts,
  tableCounts,
  type Operation,
} from "../support/fuzz";
import { call } from "../support/http";
import { expectedFor, partOf } from "../support/matrix";
import { ACTORS, buildMatrixWorld, Objects, rolesOf, type Actor, type MatrixWorld } from "../support/matrix-world";
import { MATRIX } from "./authorization-matrix";

/** Tables the queue consumers fill from outbox rows after the answer (notifications, integrators' webhooks). */
const DELIVERED = new Set(["notifications", "notification_deliveries", "webhook_deliveries"]);

const SEED = 1313;
const RUNS = 20;

let world: MatrixWorld;
let objects: Objects;

/** Who sends the fuzz: a caller the matrix says reaches side A's object (so the request gets past the door). */
function callerOf(op: Operation): Actor {
  const entry = MATRIX[op.key]!;
  return entry.reach?.[0] ?? ACTORS.find((a) => a !== "anonymous" && expectedFor(entry, a, rolesOf(world, a)) === "allowed")!;
}

/** Registers part `part` of `parts` of the fuzz (the OpenAPI document is read first). */
export async function describeFuzz(part: number, parts: number): Promise<void> {
  const doc = (await call("GET", "/openapi.json")).body;
  const catalogue = new Set<string>(doc.info["x-error-codes"].map((e: { code: string }) => e.code));
  const operations = partOf(operationsOf(doc), part, parts);
  beforeAll(async () => {
    world = await buildMatrixWorld();
    objects = new Objects(world);
  }, 120_000);

  describe(`fuzzing every operation (${part}/${parts}): no 5xx, catalogued problems, a 4xx writes nothing`, () => {
    for (const op of operations) {
      it(op.key, async () => {
        const entry = MATRIX[op.key];
        expect(entry, `${op.key} has no authorization matrix entry`).toBeDefined();
        const actor = callerOf(op);
        const token = actor === "anonymous" ? null : entry!.token ? await entry!.token(objects, actor) : world.sessions[actor].token;
        const base = await entry!.request(objects, actor);
        await settledCounts(300);
        const problems: string[] = [];
        let before = await tableCounts();
        await fc.assert(
          fc.asyncProperty(
            fc.oneof({ arbitrary: mutationsOf(op, base), weight: 3 }, { arbitrary: requestsFor(op, () => undefined), weight: 1 }),
            async (req) => {
              const res = await sendFuzz(op.method, req, token);
              const what = `${op.method} ${req.path.slice(0, 160)} [${req.kind}] → ${res.status}`;
              if (res.status >= 500) problems.push(`${what} ${JSON.stringify(res.body).slice(0, 200)}`);
              else if (res.status >= 400) {
                if (!String(res.headers.get("Content-Type")).startsWith("application/problem+json"))
                  problems.push(`${what} not problem+json`);
                else if (!catalogue.has(res.body?.code)) problems.push(`${what} code ${res.body?.code} not in the catalogue`);
                // Deliveries are written only by the queue consumers, from outbox rows: one appearing
                // now is an earlier write's message arriving late (a 4xx that wrote a message would
                // show in outbox itself), so they are not held against this request.
                const changed = changedTables(before, await tableCounts()).filter((t) => !DELIVERED.has(t));
                if (changed.length) problems.push(`${what} wrote to ${changed.join(", ")}`);
              } else if (op.method !== "GET") {
                // a write went through: let what it started settle before the next request is held to account
                before = await settledCounts(300);
                return;
              }
              before = await tableCounts();
            },
          ),
          { seed: SEED, numRuns: RUNS },
        );
        expect(problems).toEqual([]);
      });
    }
  });
}
