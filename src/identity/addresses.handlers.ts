import { authOf } from "../http/auth";
import * as addresses from "./addresses.service";
import { createRouter } from "../http/openapi";
import * as routes from "./addresses.routes";

export default createRouter()
  .openapi(routes.listAddresses, async (c) => c.json(await addresses.getAddresses(c.env, authOf(c).accountId), 200))
  .openapi(routes.createAddress, async (c) => c.json(await addresses.createAddress(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.patchAddress, async (c) =>
    c.json(await addresses.patchAddress(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.deleteAddress, async (c) => {
    await addresses.deleteAddress(c.env, authOf(c).accountId, c.req.valid("param").id);
    return c.body(null, 204);
  });
