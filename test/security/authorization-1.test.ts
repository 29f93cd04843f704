/**
 * The authorization matrix, part 1 of 2 (the parts share the matrix and split its operations, so
 * each file builds its own world and they run side by side): see authorization-matrix.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { documentedOperations, partOf, runEntry } from "../support/matrix";
import { buildMatrixWorld, Objects, type MatrixWorld } from "../support/matrix-world";
import { MATRIX } from "./authorization-matrix";

let world: MatrixWorld;
let objects: Objects;
beforeAll(async () => {
  world = await buildMatrixWorld();
  objects = new Objects(world);
}, 120_000);

describe("authorization matrix (1/2): every role × every operation × side A's object", () => {
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

  for (const key of partOf(Object.keys(MATRIX), 1, 2)) {
    it(key, async () => {
      expect(await runEntry(world, objects, key, MATRIX[key]!)).toEqual([]);
    });
  }
});
