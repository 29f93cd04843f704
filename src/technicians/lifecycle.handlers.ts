import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as lifecycle from "./lifecycle.service";
import * as requirements from "./requirements.service";
import * as routes from "./lifecycle.routes";

export default createRouter()
  .openapi(routes.apply, async (c) => c.json(await lifecycle.applyAsTechnician(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.myApplication, async (c) => c.json(await lifecycle.myApplication(c.env, authOf(c)), 200))
  .openapi(routes.uploadApplicationDocument, async (c) => {
    const { kind, expiresOn } = c.req.valid("query");
    const upload = {
      kind,
      ...(expiresOn === undefined ? {} : { expiresOn }),
      contentType: c.req.header("Content-Type"),
      body: await c.req.arrayBuffer(),
    };
    return c.json(await lifecycle.uploadApplicationDocument(c.env, authOf(c), upload), 201);
  })
  .openapi(routes.reviewApplication, async (c) => c.json(await lifecycle.reviewApplication(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.decideDocument, async (c) => {
    const { id, documentId } = c.req.valid("param");
    return c.json(await lifecycle.decideDocument(c.env, authOf(c), id, documentId, c.req.valid("json")), 200);
  })
  .openapi(routes.suspend, async (c) =>
    c.json(await lifecycle.changeStatus(c.env, authOf(c), c.req.valid("param").id, "suspend", c.req.valid("json")), 200),
  )
  .openapi(routes.reinstate, async (c) =>
    c.json(await lifecycle.changeStatus(c.env, authOf(c), c.req.valid("param").id, "reinstate", {}), 200),
  )
  .openapi(routes.remove, async (c) =>
    c.json(await lifecycle.changeStatus(c.env, authOf(c), c.req.valid("param").id, "remove", c.req.valid("json")), 200),
  )
  .openapi(routes.propose, async (c) => c.json(await lifecycle.proposeChange(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.myChanges, async (c) => c.json(await lifecycle.myChanges(c.env, authOf(c)), 200))
  .openapi(routes.listChanges, async (c) => c.json(await lifecycle.queryChanges(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.decideChange, async (c) =>
    c.json(await lifecycle.decideChange(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.listRequirements, async (c) => c.json(await requirements.listRequirements(c.env), 200))
  .openapi(routes.setRequirements, async (c) =>
    c.json(await requirements.setRequirements(c.env, authOf(c), c.req.valid("param").skill, c.req.valid("json").kinds), 200),
  );
