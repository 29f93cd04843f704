/**
 * A throwaway PostgreSQL 15 for the peer: Debian's package (installed with apt-get when missing and
 * the bench runs as root), a fresh cluster in a temp directory, served on 127.0.0.1 only, by a
 * non-root user, stopped and deleted afterwards.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { onSystemCore, type Pinning } from "./pinning.ts";
import { start, stop, type Managed } from "./processes.ts";

const BIN = "/usr/lib/postgresql/15/bin";

export interface Postgres {
  process: Managed;
  port: number;
  version: string;
  dataDir: string;
}

/** Makes sure Debian's postgresql (15) is installed; returns why not when it cannot be. */
export function ensureInstalled(log: (line: string) => void): string | null {
  if (existsSync(path.join(BIN, "postgres"))) return null;
  if (process.getuid?.() !== 0)
    return `PostgreSQL 15 is not installed (${BIN}) and the bench is not root: run \`apt-get install postgresql\``;
  log("installing Debian's postgresql package (apt-get)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update"], { stdio: "ignore", env });
  const r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql", "postgresql-contrib"], {
    stdio: "ignore",
    env,
  });
  return r.status === 0 && existsSync(path.join(BIN, "postgres")) ? null : "apt-get install postgresql failed";
}

/** The account the server runs as: the package's `postgres` user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root, but there is no postgres user to run the server as");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** initdb in a temp directory, then the server on 127.0.0.1:`port`; resolves once it accepts connections. */
export async function startPostgres(port: number, logFile: string, pinning: Pinning): Promise<Postgres> {
  const user = serverUser();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "doorstep-bench-pg-"));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(path.join(BIN, "initdb"), ["-D", dataDir, "-U", "bench", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    ...asUser,
    stdio: "ignore",
    cwd: dataDir,
  });
  const version = execFileSync(path.join(BIN, "postgres"), ["--version"]).toString().trim();
  const p = start(
    "postgres",
    ...onSystemCore(pinning, "postgres (and its backends)", path.join(BIN, "postgres"), [
      "-D",
      dataDir,
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-k",
      dataDir,
      "-c",
      "max_connections=100",
    ]),
    logFile,
    { ...asUser, cwd: dataDir },
  );
  for (let i = 0; i < 100; i++) {
    const ready = spawnSync(path.join(BIN, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-U", "bench"], { stdio: "ignore" });
    if (ready.status === 0) return { process: p, port, version, dataDir };
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop(p, "SIGINT");
  rmSync(dataDir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start; see ${logFile}`);
}

/** Fast shutdown, then the cluster is deleted. */
export async function stopPostgres(pgsql: Postgres): Promise<void> {
  await stop(pgsql.process, "SIGINT", 15_000);
  rmSync(pgsql.dataDir, { recursive: true, force: true });
}
