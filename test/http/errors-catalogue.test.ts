import { describe, expect, it } from "vitest";
import errorsDoc from "../../docs/errors.md?raw";
import { AppError, ERRORS, type ErrorCode } from "../../src/errors";
import { errorsMarkdown } from "../../src/http/docs/errors.markdown";
import { call } from "../support/http";

// Every code raised in src/ goes through AppError.of(code), whose parameter is the union of the
// catalogue's keys: tsc refuses a code that is not catalogued. These tests cover what is published.
describe("the error catalogue", () => {
  it("gives every code one status and a message in both languages, with the same parameters", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z][A-Z_]*$/);
      expect(spec.detail.en.length).toBeGreaterThan(0);
      expect(spec.detail.zh.length).toBeGreaterThan(0);
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(spec.detail.zh), code).toEqual(names(spec.detail.en));
    }
  });

  it("fills a message's parameters in the caller's language", () => {
    const err = AppError.of("NOT_FOUND", { what: { en: "Order", zh: "订单" } });
    expect(err).toMatchObject({ status: 404, code: "NOT_FOUND", detail: { en: "Order not found.", zh: "未找到订单。" } });
    const code: ErrorCode = "SLOT_UNAVAILABLE";
    expect(AppError.of(code).status).toBe(409);
  });

  it("is published in /openapi.json with status, problem type and both messages", async () => {
    const res = await call("GET", "/openapi.json");
    const listed = (res.body as { info: { "x-error-codes": { code: string; status: number; type: string; detail: object }[] } }).info[
      "x-error-codes"
    ];
    expect(listed.map((e) => e.code).sort()).toEqual(Object.keys(ERRORS).sort());
    expect(listed.find((e) => e.code === "SLOT_UNAVAILABLE")).toEqual({
      code: "SLOT_UNAVAILABLE",
      status: 409,
      type: "https://doorstep.dev/problems/slot-unavailable",
      title: { en: "Conflict", zh: "冲突" },
      detail: { en: ERRORS.SLOT_UNAVAILABLE.detail.en, "zh-CN": ERRORS.SLOT_UNAVAILABLE.detail.zh },
    });
  });

  it("is what docs/errors.md says (npm run docs:errors rewrites it)", () => {
    expect(errorsDoc).toBe(errorsMarkdown());
  });
});
