import { authOf } from "../http/auth";
import * as reviews from "./reviews.service";
import { createRouter, fileHeaders } from "../http/openapi";
import * as routes from "./reviews.routes";

export default createRouter()
  .openapi(routes.create, async (c) =>
    c.json(await reviews.reviewOrder(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.get, async (c) => c.json(await reviews.orderReview(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.uploadPhoto, async (c) => {
    const upload = { contentType: c.req.header("Content-Type"), body: await c.req.arrayBuffer() };
    return c.json(await reviews.uploadReviewPhoto(c.env, authOf(c).accountId, c.req.valid("param").id, upload), 201);
  })
  .openapi(routes.photo, async (c) => {
    const { id, photoId } = c.req.valid("param");
    const file = await reviews.reviewPhotoFile(c.env, id, photoId);
    return c.body(file.body, 200, fileHeaders(file, "public, max-age=3600"));
  })
  .openapi(routes.ofTechnician, async (c) =>
    c.json(await reviews.technicianReviews(c.env, c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(routes.list, async (c) => c.json(await reviews.staffReviews(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.hide, async (c) =>
    c.json(await reviews.hideReview(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.unhide, async (c) =>
    c.json(await reviews.unhideReview(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  );
