import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { clientIp } from "../http/rate-limit";
import * as auth from "./auth.service";
import * as routes from "./auth.routes";

export default createRouter()
  .openapi(routes.requestOtp, async (c) => {
    const { phone, deviceId } = c.req.valid("json");
    const ip = clientIp(c.req.header("CF-Connecting-IP"));
    return c.json(await auth.requestOtp(c.env, { phone, ip, deviceId }), 202);
  })
  .openapi(routes.token, async (c) => {
    const body = c.req.valid("json");
    const tokens = "grantType" in body ? await auth.refreshTokens(c.env, body.refreshToken) : await auth.signInWithOtp(c.env, body);
    return c.json(tokens, 200);
  })
  .openapi(routes.logout, async (c) => {
    await auth.logout(c.env, c.req.valid("json").refreshToken);
    return c.body(null, 204);
  })
  .openapi(routes.logoutAll, async (c) => {
    await auth.logoutEverywhere(c.env, authOf(c).accountId);
    return c.body(null, 204);
  });
