import type { Db } from "../client";

/** One trivial query: proves D1 answers. */
export async function ping(db: Db): Promise<void> {
  await db.$client.prepare("select 1").first();
}
