import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as routes from "./webhooks.routes";
import * as webhooks from "./webhooks.service";

export default createRouter()
  .openapi(routes.create, async (c) => c.json(await webhooks.createSubscription(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.list, async (c) => c.json(await webhooks.subscriptions(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.get, async (c) => c.json(await webhooks.subscription(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.patch, async (c) =>
    c.json(await webhooks.changeSubscription(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.remove, async (c) => {
    await webhooks.deleteSubscription(c.env, authOf(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(routes.rotate, async (c) =>
    c.json(await webhooks.rotateSecret(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").overlapSeconds ?? 86_400), 200),
  )
  .openapi(routes.replayAll, async (c) =>
    c.json(await webhooks.replaySubscription(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 202),
  )
  .openapi(routes.deliveries, async (c) => c.json(await webhooks.deliveries(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.delivery, async (c) => c.json(await webhooks.delivery(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.replay, async (c) => c.json(await webhooks.replayDelivery(c.env, authOf(c), c.req.valid("param").id), 202));
