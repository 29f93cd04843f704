import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as accounts from "./accounts-admin.service";
import * as routes from "./accounts-admin.routes";

export default createRouter()
  .openapi(routes.listAccounts, async (c) => c.json(await accounts.getAccounts(c.env, c.req.valid("query")), 200))
  .openapi(routes.getAccount, async (c) => c.json(await accounts.getAccount(c.env, c.req.valid("param").id), 200))
  .openapi(routes.disableAccount, async (c) =>
    c.json(await accounts.disable(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.enableAccount, async (c) => c.json(await accounts.enable(c.env, authOf(c), c.req.valid("param").id), 200));
