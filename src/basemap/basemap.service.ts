/**
 * Basemaps: vector-tile PMTiles archives (one per city, named by the city's id) that the dashboard's
 * live map draws under its layers. They live in the PHOTOS bucket under `basemap/` and are put there
 * by `npm run basemap:upload` (and, locally, by the demo seed); nothing here writes them.
 */
import { notFound } from "../errors";
import { parseRange, type RangedFile } from "../http/byte-range";

export const BASEMAP_PREFIX = "basemap/";
export const BASEMAP_CONTENT_TYPE = "application/vnd.pmtiles";
const BASEMAP = { en: "basemap", zh: "底图" };

/** The R2 key of a basemap: `basemap/<name>.pmtiles`. */
export const basemapKey = (name: string) => `${BASEMAP_PREFIX}${name}.pmtiles`;

/** Whether an `If-None-Match` header names this ETag (weak comparison, RFC 9110 §13.1.2; `*` names any). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || bare(t) === bare(etag));
}

export type BasemapAnswer = ({ notModified: false } & RangedFile) | { notModified: true; etag: string };

/**
 * A basemap archive, whole or the part the `Range` header asks for; `notModified` when
 * `If-None-Match` names its current ETag. 404 when there is none by that name. The range is read
 * from the very version whose size it was checked against (an archive replaced meanwhile is read
 * again from the start). `headersOnly` (HEAD) reads no bytes.
 */
export async function basemapFile(
  env: Env,
  name: string,
  rangeHeader: string | undefined,
  ifNoneMatch: string | undefined,
  { headersOnly = false } = {},
): Promise<BasemapAnswer> {
  const key = basemapKey(name);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const head = await env.PHOTOS.head(key);
    if (!head) break;
    if (etagMatches(ifNoneMatch, head.httpEtag)) return { notModified: true, etag: head.httpEtag };
    const range = parseRange(rangeHeader, head.size);
    if (headersOnly)
      return { notModified: false, body: null, contentType: BASEMAP_CONTENT_TYPE, size: head.size, etag: head.httpEtag, range };
    const object = await env.PHOTOS.get(key, { ...(range ? { range } : {}), onlyIf: { etagMatches: head.etag } });
    if (object && "body" in object) {
      return { notModified: false, body: object.body, contentType: BASEMAP_CONTENT_TYPE, size: head.size, etag: head.httpEtag, range };
    }
  }
  throw notFound(BASEMAP);
}
