import { authOf } from "../http/auth";
import * as coupons from "./coupons.service";
import { createRouter } from "../http/openapi";
import * as routes from "./coupons.routes";

export default createRouter()
  .openapi(routes.create, async (c) => c.json(await coupons.createCoupon(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.list, async (c) => c.json(await coupons.coupons(c.env, c.req.valid("query")), 200))
  .openapi(routes.get, async (c) => c.json(await coupons.coupon(c.env, c.req.valid("param").id), 200))
  .openapi(routes.patch, async (c) =>
    c.json(await coupons.changeCoupon(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  );
