import { authOf } from "../http/auth";
import * as me from "./me.service";
import { createRouter } from "../http/openapi";
import * as routes from "./me.routes";

export default createRouter()
  .openapi(routes.getMe, async (c) => c.json(await me.getMe(c.env, authOf(c).accountId), 200))
  .openapi(routes.patchMe, async (c) => c.json(await me.renameMe(c.env, authOf(c).accountId, c.req.valid("json").name), 200));
