import { authOf } from "../http/auth";
import * as catalog from "./catalog.service";
import * as services from "./service-offers.service";
import { createRouter } from "../http/openapi";
import * as categoryRoutes from "./categories.routes";
import * as serviceRoutes from "./services.routes";
import * as skillRoutes from "./skills.routes";

const skills = createRouter()
  .openapi(skillRoutes.listSkills, async (c) => c.json({ items: await catalog.getSkills(c.env) }, 200))
  .openapi(skillRoutes.createSkill, async (c) => c.json(await catalog.createSkill(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(skillRoutes.patchSkill, async (c) =>
    c.json(await catalog.updateSkill(c.env, authOf(c).accountId, c.req.valid("param").code, c.req.valid("json")), 200),
  );

const categories = createRouter()
  .openapi(categoryRoutes.categoryTree, async (c) => c.json({ items: await catalog.getCategoryTree(c.env) }, 200))
  .openapi(categoryRoutes.createCategory, async (c) => c.json(await catalog.createCategory(c.env, c.req.valid("json")), 201))
  .openapi(categoryRoutes.patchCategory, async (c) =>
    c.json(await catalog.patchCategory(c.env, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(categoryRoutes.deleteCategory, async (c) => {
    await catalog.deleteCategory(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  });

const serviceRouter = createRouter()
  .openapi(serviceRoutes.listServices, async (c) => c.json(await services.listPublicServices(c.env, c.req.valid("query")), 200))
  .openapi(serviceRoutes.getService, async (c) => c.json(await services.getPublicService(c.env, c.req.valid("param").id), 200))
  .openapi(serviceRoutes.listManagedServices, async (c) =>
    c.json(await services.listManagedServices(c.env, authOf(c), c.req.valid("query")), 200),
  )
  .openapi(serviceRoutes.getManagedService, async (c) =>
    c.json(await services.getManagedService(c.env, authOf(c), c.req.valid("param").id), 200),
  )
  .openapi(serviceRoutes.createService, async (c) => c.json(await services.createService(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(serviceRoutes.patchService, async (c) =>
    c.json(await services.patchService(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(serviceRoutes.deleteService, async (c) => {
    await services.deleteService(c.env, authOf(c), c.req.valid("param").id);
    return c.body(null, 204);
  });

/** Skills, the category tree and services: public reads under /v1, management under /v1/admin. */
export default createRouter().route("/", skills).route("/", categories).route("/", serviceRouter);
