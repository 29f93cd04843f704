/**
 * Every process the bench starts goes through here, so it is stopped again whatever happens: at the
 * end of its workload, on an exception, on Ctrl+C or SIGTERM, and (last resort) when Node exits.
 * Each child runs in its own process group; stopping signals the whole group by its id.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync } from "node:fs";
import net from "node:net";

const running = new Map<ChildProcess, Managed>();

export interface Managed {
  child: ChildProcess;
  name: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<string>;
}

/** Starts `command` in its own process group with its output in `logFile`. */
export function start(name: string, command: string, args: string[], logFile: string, opts: SpawnOptions = {}): Managed {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { ...opts, detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const exited = new Promise<string>((resolve) => {
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve(signal ?? `exit ${code}`);
    });
    child.on("error", (err) => {
      running.delete(child);
      resolve(`error ${err.message}`);
    });
  });
  const managed = { child, name, exited };
  running.set(child, managed);
  return managed;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Stops a process group: `signal` first, SIGKILL if it is still there after `graceMs`. */
export async function stop(p: Managed, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
  if (!running.has(p.child)) return;
  signalGroup(p.child, signal);
  const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), graceMs).unref());
  if ((await Promise.race([p.exited, timer])) === "late") {
    signalGroup(p.child, "SIGKILL");
    await p.exited;
  }
}

/** Stops everything still running (used by the runner's finally block and the signal handlers). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running.values()].map((p) => stop(p, "SIGTERM", 5_000)));
}

/**
 * Ctrl+C, SIGTERM and crashes still stop every child, then run `afterwards` (removing temp files);
 * a synchronous SIGKILL covers a plain exit.
 */
export function installCleanup(afterwards: () => void): void {
  const bail = (why: string, code: number) => {
    console.error(`\nbench: ${why}; stopping every process it started…`);
    void stopAll().finally(() => {
      afterwards();
      process.exit(code);
    });
  };
  process.once("SIGINT", () => bail("interrupted", 130));
  process.once("SIGTERM", () => bail("terminated", 143));
  process.on("uncaughtException", (err) => bail(`crashed: ${err.stack ?? String(err)}`, 1));
  process.on("unhandledRejection", (err) => bail(`crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 1));
  process.on("exit", () => {
    for (const child of running.keys()) signalGroup(child, "SIGKILL");
  });
}

/** Child processes of `pid` whose command name is `comm` (read from /proc). */
export function childrenNamed(pid: number, comm: string): number[] {
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue;
      }
      // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== parent) continue;
      if (name === comm) found.push(Number(entry));
      walk(Number(entry));
    }
  };
  walk(pid);
  return found;
}

/** Polls `url` until it answers 2xx or `timeoutMs` passes; returns the milliseconds it took, or null. */
export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<number | null> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs && alive()) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

/** Whether something already listens on 127.0.0.1:`port` (another bench, another server). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
