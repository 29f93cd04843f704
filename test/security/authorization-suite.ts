/**
 * The authorization matrix as vitest tests, one part of it per file (the parts split the matrix's
 * operations and run side by side, each file with its own world): see authorization-matrix.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { documentedOperations, partOf, runEntry } from "../support/matrix";
import { buildMatrixWorld, Objects, type MatrixWorld } from "../support/matrix-world";
import { MATRIX } from "./authorization-matrix";

/** Registers part `part` of `parts` of the matrix. */
export function describeMatrix(part: number, parts: number): void {
  let world: MatrixWorld;
  let objects: Objects;
  beforeAll(async () => {
    world = await buildMatrixWorld();
    objects = new Objects(world);
  }, 120_000);

  describe(`authorization matrix (${part}/${parts}): every role × every operation × side A's object`, () => {
    it("has an entry for every operation of /openapi.json, and no entry for an operation that is not there", async () => {
      const documented = await documentedOperations();
      expect(
        documented.filter((op) => !MATRIX[op]),
        "operations without a matrix entry",
      ).toEqual([]);
      expect(
        Object.keys(MATRIX).filter((op) => !documented.includes(op)),
        "matrix entries of no operation",
      ).toEqual([]);
    });

    for (const key of partOf(Object.keys(MATRIX), part, parts)) {
      it(key, async () => {
        expect(await runEntry(world, objects, key, MATRIX[key]!)).toEqual([]);
      });
    }
  });
}
