import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { clientIp } from "../http/rate-limit";
import { pickLocale } from "../lib/locale";
import * as routes from "./wechat.routes";
import * as wechat from "./wechat.service";

export default createRouter()
  .openapi(routes.signIn, async (c) => {
    const { code } = c.req.valid("json");
    const ip = clientIp(c.req.header("CF-Connecting-IP"));
    return c.json(await wechat.signInWithWechat(c.env, { code, ip, locale: pickLocale(c.req.header("Accept-Language")) }), 200);
  })
  .openapi(routes.getBinding, async (c) => c.json(await wechat.myWechat(c.env, authOf(c).accountId), 200))
  .openapi(routes.bind, async (c) => {
    const { code } = c.req.valid("json");
    return c.json(await wechat.bindWechat(c.env, authOf(c).accountId, { code, locale: pickLocale(c.req.header("Accept-Language")) }), 200);
  })
  .openapi(routes.unbind, async (c) => {
    await wechat.unbindWechat(c.env, authOf(c).accountId);
    return c.body(null, 204);
  });
