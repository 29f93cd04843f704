import { describe, it } from "vitest";
import { call, expectProblem, signInAdmin } from "../support/http";

// Found by the fuzz (fuzz-*.test.ts): input the schema let through that failed deeper down with a 500.
describe("bad input is a clear 4xx", () => {
  it("an unknown timeZone on the revenue report and the reconciliation is 400 VALIDATION_FAILED naming query.timeZone", async () => {
    const admin = await signInAdmin();
    const range = `from=${encodeURIComponent("2026-11-01T00:00:00+08:00")}&to=${encodeURIComponent("2026-11-08T00:00:00+08:00")}`;
    for (const path of [
      `/v1/admin/reports/revenue?${range}&timeZone=Mars%2FOlympus`,
      `/v1/admin/reports/revenue?${range}&timeZone=fx%7C%7DUD%3E`,
      "/v1/admin/reports/reconciliation?date=2026-11-01&timeZone=Not%2FA_Zone",
    ]) {
      const res = await call("GET", path, { token: admin.token });
      expectProblem(res, 400, "VALIDATION_FAILED");
      if (!res.body.errors?.some((e: { path: string }) => e.path === "query.timeZone")) throw new Error(JSON.stringify(res.body));
    }
    const ok = await call("GET", `/v1/admin/reports/revenue?${range}&timeZone=Europe%2FBerlin`, { token: admin.token });
    if (ok.status !== 200) throw new Error(JSON.stringify(ok.body));
  });
});
