import { authOf } from "../http/auth";
import { afterAnswer } from "../http/request";
import { parseIdempotencyKey } from "./idempotency.service";
import { placeOrder, placeOrderOnce } from "./booking.service";
import * as orders from "./orders.service";
import { createQuote } from "./quotes.service";
import { reorder } from "./reorder.service";
import { createRouter } from "../http/openapi";
import * as routes from "./orders.routes";

export default createRouter()
  .openapi(routes.createQuote, async (c) => c.json(await createQuote(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.placeOrder, async (c) => {
    const auth = authOf(c);
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await placeOrderOnce(c.env, auth.accountId, key, c.req.valid("json"), afterAnswer(c));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as Awaited<ReturnType<typeof placeOrder>>, 201);
  })
  .openapi(routes.reorderOrder, async (c) => {
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await reorder(c.env, authOf(c).accountId, c.req.valid("param").id, key, c.req.valid("json"), afterAnswer(c));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as Awaited<ReturnType<typeof placeOrder>>, 201);
  })
  .openapi(routes.listOrders, async (c) => c.json(await orders.listOwnOrders(c.env, authOf(c).accountId, c.req.valid("query")), 200))
  .openapi(routes.getOrder, async (c) => c.json(await orders.getOwnOrder(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(routes.cancelOrder, async (c) =>
    c.json(await orders.cancelOwnOrder(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.rescheduleOrder, async (c) =>
    c.json(await orders.rescheduleOwnOrder(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  );
