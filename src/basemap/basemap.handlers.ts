import { rangedFileResponse } from "../http/byte-range";
import { createRouter } from "../http/openapi";
import * as routes from "./basemap.routes";
import { basemapFile } from "./basemap.service";

/** A new archive under the same name is picked up within the hour; the ETag revalidates it. */
const CACHE_CONTROL = "public, max-age=3600";

export default createRouter().openapi(routes.getBasemap, async (c) => {
  const name = c.req.valid("param").file.replace(/\.pmtiles$/, "");
  const file = await basemapFile(c.env, name, c.req.header("Range"), c.req.header("If-None-Match"), {
    headersOnly: c.req.method === "HEAD",
  });
  if (file.notModified) return new Response(null, { status: 304, headers: { ETag: file.etag, "Cache-Control": CACHE_CONTROL } });
  return rangedFileResponse(file, CACHE_CONTROL);
});
