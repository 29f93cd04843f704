// npm run basemap:upload -- --env staging|production [--file data/basemap/x.pmtiles] [--name <cityId>]
// puts a basemap archive into the environment's PHOTOS bucket (wrangler.toml) under
// basemap/<name>.pmtiles, where GET /v1/basemap/<name>.pmtiles serves it; the dashboard's live map of
// the city with that id draws it. Without --env, it goes into the local state `npm start` uses.
// Defaults: the demo archive (npm run basemap:build) under the demo city's id.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEMO } from "./build-basemap.mjs";
import { ROOT, requireNode, wrangler } from "./dev-env.mjs";
import { readEnvironment } from "./lib/worker-config.mjs";

const BINDING = "PHOTOS";
const CONTENT_TYPE = "application/vnd.pmtiles";

/** The PHOTOS bucket's name in that environment (undefined: the top level, local development). */
async function bucketOf(env) {
  const config = await readEnvironment(env);
  const bucket = config.r2_buckets.find((b) => b.binding === BINDING)?.bucket_name;
  if (!bucket) throw new Error(`wrangler.toml${env ? ` [env.${env}]` : ""} binds no R2 bucket ${BINDING}`);
  return bucket;
}

/**
 * Puts the archive `file` as basemap/<name>.pmtiles: remotely into `env`'s bucket, or (no env) into
 * the local state, `persistTo` choosing another state folder than .wrangler/state.
 */
export async function putBasemap({ env, persistTo, file = DEMO.output, name = DEMO.name, quiet = false } = {}) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`--name ${name}: letters, digits, _ and - only (a city id)`);
  const bucket = await bucketOf(env);
  const where = env ? ["--remote", "--env", env] : ["--local", ...(persistTo ? ["--persist-to", persistTo] : [])];
  const key = `basemap/${name}.pmtiles`;
  await wrangler(["r2", "object", "put", `${bucket}/${key}`, "--file", file, "--content-type", CONTENT_TYPE, ...where], { capture: true });
  if (!quiet) console.log(`Basemap ${key} put into ${env ? `${bucket} (${env})` : "the local R2"}.`);
}

/** Deletes basemap/<name>.pmtiles from a local state folder (a local server without a basemap). */
export async function deleteLocalBasemap({ persistTo, name = DEMO.name }) {
  const bucket = await bucketOf(undefined);
  await wrangler(["r2", "object", "delete", `${bucket}/basemap/${name}.pmtiles`, "--local", "--persist-to", persistTo], { capture: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  requireNode();
  const { values } = parseArgs({ options: { env: { type: "string", short: "e" }, file: { type: "string" }, name: { type: "string" } } });
  try {
    await putBasemap({ env: values.env, file: values.file ? join(ROOT, values.file) : undefined, name: values.name });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
