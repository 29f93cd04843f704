/**
 * A problem's `status` is the HTTP status, whatever the error carries along: a resource's own
 * status (a withdrawal already decided) is given as `currentStatus`.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AppError, problem } from "../../src/errors";
import type { AppEnv } from "../../src/env";

describe("problem+json status", () => {
  it("keeps the HTTP status and moves a carried resource status to currentStatus", async () => {
    const app = new Hono<AppEnv>();
    app.get("/x", (c) =>
      problem(c, AppError.of("WITHDRAWAL_DECIDED", { status: "approved" }, { extra: { status: "approved", other: 1 } })),
    );
    const res = await app.request("/x");
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(409);
    expect(body).toMatchObject({ status: 409, currentStatus: "approved", other: 1, code: "WITHDRAWAL_DECIDED" });
  });
});
