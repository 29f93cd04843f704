import { authOf } from "../http/auth";
import { createRouter, fileHeaders } from "../http/openapi";
import { ownTechnicianId } from "./shifts.service";
import * as profiles from "./profiles.service";
import * as routes from "./profiles.routes";
import { searchTechnicians } from "./search.service";

export default createRouter()
  .openapi(routes.search, async (c) => c.json(await searchTechnicians(c.env, c.req.valid("query")), 200))
  .openapi(routes.profile, async (c) => c.json(await profiles.publicProfile(c.env, c.req.valid("param").id), 200))
  .openapi(routes.photo, async (c) => {
    const file = await profiles.profilePhotoFile(c.env, c.req.valid("param").id);
    // A suspended technician's photo must stop at once: no shared caches.
    return c.body(file.body, 200, fileHeaders(file, "private, no-cache"));
  })
  .openapi(routes.casePhoto, async (c) => {
    const { id, caseId, which } = c.req.valid("param");
    const file = await profiles.casePhotoFile(c.env, id, caseId, which);
    // Consent can be withdrawn at any moment: never kept by any cache.
    return c.body(file.body, 200, fileHeaders(file, "no-store"));
  })
  .openapi(routes.uploadPhoto, async (c) => {
    const upload = { contentType: c.req.header("Content-Type"), body: await c.req.arrayBuffer() };
    return c.json(await profiles.uploadProfilePhoto(c.env, ownTechnicianId(authOf(c)), upload), 201);
  })
  .openapi(routes.proposeCase, async (c) => c.json(await profiles.proposeCase(c.env, ownTechnicianId(authOf(c)), c.req.valid("json")), 201))
  .openapi(routes.ownCases, async (c) => c.json(await profiles.ownCases(c.env, ownTechnicianId(authOf(c)), c.req.valid("query")), 200))
  .openapi(routes.withdrawCase, async (c) => {
    await profiles.withdrawCase(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(routes.orderCase, async (c) => c.json(await profiles.orderCase(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(routes.consent, async (c) =>
    c.json(await profiles.decideConsent(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json").granted), 200),
  )
  .openapi(routes.preview, async (c) => c.json(await profiles.profilePreview(c.env, c.req.valid("param").id, c.req.valid("query")), 200))
  .openapi(routes.hideCase, async (c) =>
    c.json(await profiles.hideCase(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.unhideCase, async (c) =>
    c.json(await profiles.unhideCase(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.unhideOwnCase, async (c) => {
    const auth = authOf(c);
    return c.json(await profiles.unhideCase(c.env, auth, c.req.valid("param").id, c.req.valid("json").reason, ownTechnicianId(auth)), 200);
  });
