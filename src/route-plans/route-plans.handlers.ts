import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as asking from "./asking.routes";
import { answerTimeProposal, askCustomers, myTimeProposals, planAsks, withdrawAsk } from "./asking.service";
import * as routes from "./route-plans.routes";
import { acceptPlan, discardPlan, getPlan, listPlans, requestPlan } from "./route-plans.service";

export default createRouter()
  .openapi(routes.request, async (c) => c.json(await requestPlan(c.env, authOf(c), c.req.valid("json")), 202))
  .openapi(routes.list, async (c) => c.json(await listPlans(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.get, async (c) => c.json(await getPlan(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.accept, async (c) =>
    c.json(
      await acceptPlan(c.env, authOf(c), c.req.valid("param").id, { withProposals: c.req.valid("query").withProposals === "true" }),
      200,
    ),
  )
  .openapi(routes.discard, async (c) => c.json(await discardPlan(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(asking.ask, async (c) => c.json(await askCustomers(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(asking.asks, async (c) => c.json(await planAsks(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(asking.withdraw, async (c) => {
    const p = c.req.valid("param");
    return c.json(await withdrawAsk(c.env, authOf(c), p.id, p.groupId), 200);
  })
  .openapi(asking.mine, async (c) => c.json(await myTimeProposals(c.env, authOf(c).accountId, c.req.valid("query")), 200))
  .openapi(asking.approve, async (c) =>
    c.json(await answerTimeProposal(c.env, authOf(c).accountId, c.req.valid("param").id, "approve"), 200),
  )
  .openapi(asking.decline, async (c) =>
    c.json(await answerTimeProposal(c.env, authOf(c).accountId, c.req.valid("param").id, "decline"), 200),
  );
