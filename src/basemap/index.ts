/**
 * Basemaps: the vector-tile PMTiles archive of a city, served from R2 in byte ranges for the
 * dashboard's live map (docs/basemap.md).
 * The area's public surface: its router (mounted by src/http/routes.ts) and the R2 key it reads.
 */
export { default as basemapRoutes } from "./basemap.handlers";
export { basemapKey, BASEMAP_CONTENT_TYPE } from "./basemap.service";
