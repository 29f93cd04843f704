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

  it("are refused under another secret, and a short secret signs nothing", async () => {
    const token = await signAccessToken({ JWT_SECRET: secret() }, auth, 60);
    expect(await verifyAccessToken({ JWT_SECRET: secret() }, token)).toBeNull();
    await expect(signAccessToken({ JWT_SECRET: "short" }, auth, 60)).rejects.toThrow(/at least 32/);
    expect(await verifyAccessToken({ JWT_SECRET: "short" }, token)).toBeNull();
  });
});
