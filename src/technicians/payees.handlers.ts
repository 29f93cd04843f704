import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as payees from "./payees.service";
import * as routes from "./payees.routes";
import { ownTechnicianId } from "./shifts.service";

export default createRouter()
  .openapi(routes.getOwn, async (c) => c.json(await payees.ownPayees(c.env, ownTechnicianId(authOf(c))), 200))
  .openapi(routes.putOwn, async (c) => {
    const auth = authOf(c);
    return c.json(await payees.setPayee(c.env, ownTechnicianId(auth), c.req.valid("json"), auth.accountId), 200);
  })
  .openapi(routes.deleteOwn, async (c) => {
    await payees.removePayee(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").provider);
    return c.body(null, 204);
  })
  .openapi(routes.forStaff, async (c) => c.json(await payees.payeesForStaff(c.env, authOf(c), c.req.valid("param").id), 200));
