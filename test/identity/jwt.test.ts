import { afterEach, describe, expect, it, vi } from "vitest";
import { signAccessToken, verifyAccessToken } from "../../src/lib/jwt";

const auth = { accountId: "acc_jwt", roles: ["customer" as const], merchantId: null, technicianId: null };
const secret = () => `jwt-test-secret-${crypto.randomUUID()}`;

afterEach(() => vi.restoreAllMocks());

describe("access tokens", () => {
  it("import the signing key once per isolate and secret, however many tokens are signed and verified", async () => {
    const env = { JWT_SECRET: secret() };
    const imports = vi.spyOn(crypto.subtle, "importKey");
    for (let i = 0; i < 5; i += 1) {
      const token = await signAccessToken(env, auth, 60);
      expect(await verifyAccessToken(env, token)).toEqual(auth);
    }
    expect(imports).toHaveBeenCalledTimes(1);
  });

  it("are verified once per isolate, then taken as verified until they expire; a changed token is verified on its own", async () => {
    const env = { JWT_SECRET: secret() };
    const token = await signAccessToken(env, { ...auth, tokenVersion: 3 }, 60);
    const verify = vi.spyOn(crypto.subtle, "verify");
    expect(await verifyAccessToken(env, token)).toEqual({ ...auth, tokenVersion: 3 });
    expect(await verifyAccessToken(env, token)).toEqual({ ...auth, tokenVersion: 3 });
    expect(verify).toHaveBeenCalledTimes(1);
    // A copy the caller changes is not the remembered one.
    (await verifyAccessToken(env, token))!.roles.push("admin");
    expect((await verifyAccessToken(env, token))!.roles).toEqual(["customer"]);
    // Another signature on the same header and claims is checked, and refused.
    const [head, body, sig] = token.split(".") as [string, string, string];
    const forged = `${head}.${body}.${sig.slice(0, -2)}${sig.endsWith("AA") ? "BB" : "AA"}`;
    expect(await verifyAccessToken(env, forged)).toBeNull();
    expect(verify).toHaveBeenCalledTimes(2);
    // Under another secret the remembered token counts for nothing.
    expect(await verifyAccessToken({ JWT_SECRET: secret() }, token)).toBeNull();
    // From its `exp` second on it is refused, as jose refuses it.
    const exp = (JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/"))) as { exp: number }).exp;
    vi.useFakeTimers({ now: exp * 1000 - 1, toFake: ["Date"] });
    try {
      expect(await verifyAccessToken(env, token)).toEqual({ ...auth, tokenVersion: 3 });
      vi.setSystemTime(exp * 1000);
      expect(await verifyAccessToken(env, token)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("are refused under another secret, and a short secret signs nothing", async () => {
    const token = await signAccessToken({ JWT_SECRET: secret() }, auth, 60);
    expect(await verifyAccessToken({ JWT_SECRET: secret() }, token)).toBeNull();
    await expect(signAccessToken({ JWT_SECRET: "short" }, auth, 60)).rejects.toThrow(/at least 32/);
    expect(await verifyAccessToken({ JWT_SECRET: "short" }, token)).toBeNull();
  });
});
