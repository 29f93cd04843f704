import { authOf } from "../http/auth";
import * as merchants from "./merchants.service";
import { createRouter } from "../http/openapi";
import * as routes from "./merchants.routes";

export default createRouter()
  .openapi(routes.createMerchant, async (c) => c.json(await merchants.createMerchant(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.listMerchants, async (c) => c.json(await merchants.getMerchants(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.getMerchant, async (c) => c.json(await merchants.getMerchant(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.patchMerchant, async (c) =>
    c.json(await merchants.patchMerchant(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.addMerchantAdmin, async (c) => {
    const { admin, created } = await merchants.addMerchantAdmin(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json"));
    return created ? c.json(admin, 201) : c.json(admin, 200);
  })
  .openapi(routes.listMerchantAdmins, async (c) =>
    c.json(await merchants.getMerchantAdmins(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(routes.removeMerchantAdmin, async (c) => {
    const { id, accountId } = c.req.valid("param");
    await merchants.removeMerchantAdmin(c.env, authOf(c).accountId, id, accountId);
    return c.body(null, 204);
  });
