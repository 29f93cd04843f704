import { describe, expect, it } from "vitest";
import { call, expectProblem, uniquePhone } from "../support/http";

/** A 6-digit code other than `code`, distinct for each `i`. */
const wrongCode = (code: string, i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");

/** What each answer says about the guess: judged wrong, judged and burnt, or not judged at all. */
function tally(results: { status: number; body: any }[]) {
  const codes = results.map((r) => (r.status === 200 ? "OK" : String(r.body?.code)));
  return {
    ok: codes.filter((c) => c === "OK").length,
    invalid: codes.filter((c) => c === "OTP_INVALID").length,
    exceeded: codes.filter((c) => c === "OTP_ATTEMPTS_EXCEEDED").length,
    expired: codes.filter((c) => c === "OTP_EXPIRED").length,
    other: codes.filter((c) => !["OK", "OTP_INVALID", "OTP_ATTEMPTS_EXCEEDED", "OTP_EXPIRED"].includes(c)),
  };
}

describe("sign-in code attempts under concurrency", () => {
  it("judges at most 5 of 50 parallel wrong guesses and burns the code", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    expect(otp.status).toBe(202);
    const code: string = otp.body.devCode;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call("POST", "/v1/auth/token", { body: { phone, code: wrongCode(code, i) }, headers: { "CF-Connecting-IP": `10.13.0.${i}` } }),
      ),
    );
    const t = tally(results);
    expect(t.other).toEqual([]);
    // Exactly five guesses were judged: four wrong, the fifth burnt the code; no other guess was compared.
    expect(t).toMatchObject({ ok: 0, invalid: 4, exceeded: 1, expired: 45 });
    // The right code afterwards is refused: the code is gone.
    expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code } }), 400, "OTP_EXPIRED");
  });

  it("refuses the right code when it arrives behind 49 parallel wrong guesses", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    const code: string = otp.body.devCode;
    const guesses = [...Array.from({ length: 49 }, (_, i) => wrongCode(code, i)), code];
    const results = await Promise.all(
      guesses.map((g, i) => call("POST", "/v1/auth/token", { body: { phone, code: g }, headers: { "CF-Connecting-IP": `10.13.1.${i}` } })),
    );
    const t = tally(results);
    expect(t.other).toEqual([]);
    // Whatever order they ran in, no more than five were compared with the code.
    expect(t.invalid + t.exceeded + t.ok).toBeLessThanOrEqual(5);
    expect(t.ok).toBe(0);
    expect(results.at(-1)!.status).toBe(400);
  });

  it("still signs in with the right code inside the attempt limit", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    const code: string = otp.body.devCode;
    for (let i = 0; i < 4; i++)
      expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code: wrongCode(code, i) } }), 400, "OTP_INVALID");
    expect((await call("POST", "/v1/auth/token", { body: { phone, code } })).status).toBe(200);
  });
});
