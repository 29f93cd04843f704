import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../http/openapi";

const TAGS = ["Basemap"];

const FileParam = z.object({
  file: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}\.pmtiles$/, "a name of letters, digits, _ and - followed by .pmtiles")
    .openapi({ param: { name: "file", in: "path" }, example: "cty_demoShanghai.pmtiles" }),
});

const archive = { "application/vnd.pmtiles": { schema: z.string().openapi({ format: "binary" }) } };

export const getBasemap = createRoute({
  operationId: "getBasemap",
  method: "get",
  path: "/v1/basemap/{file}",
  tags: TAGS,
  summary: "A city's basemap: a vector-tile PMTiles archive (public, read in byte ranges)",
  description:
    "`{name}.pmtiles`, the dashboard asks for `<cityId>.pmtiles`. Public: the archives hold openly licensed map data only. Honours one `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` with 206 Partial Content and `Content-Range` (how a PMTiles reader fetches the header, directories and tiles); without a Range header, the whole archive with 200. A Range header that is not one byte range or asks for nothing inside the archive is 416 RANGE_NOT_SATISFIABLE (problem+json) with `Content-Range: bytes */<size>`. `ETag` on every answer; `If-None-Match` with the current ETag is 304 without a body. `Cache-Control: public, max-age=3600`. HEAD answers the same headers without a body. 404 when the deployment has no basemap of that name (the dashboard then draws its map without one).",
  request: { params: FileParam },
  responses: {
    200: { description: "The whole archive", content: archive },
    206: { description: "The part asked for", content: archive },
    304: { description: "Not modified (If-None-Match named the current ETag)" },
    ...errorResponses(404, 416),
  },
});
