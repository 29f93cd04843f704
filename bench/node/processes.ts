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

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number | string): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the comm: [0] state, [1] ppid, …, [11] utime, [12] stime, [13] cutime, [14] cstime.
  return { pid: Number(pid), comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** `pid` and every process below it (read from /proc). */
export function processTree(pid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    const stat = /^\d+$/.test(entry) ? readStat(entry) : null;
    if (stat) all.push(stat);
  }
  const live = all;
  const root = live.find((p) => p.pid === pid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const p of live) if (p.ppid === out[i]!.pid) out.push(p);
  return out;
}

/** Child processes of `pid` whose command name is `comm` (read from /proc). */
export function childrenNamed(pid: number, comm: string): number[] {
  return processTree(pid)
    .slice(1)
    .filter((p) => p.comm === comm)
    .map((p) => p.pid);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU milliseconds (user + system) spent so far by the trees under `pids`: each live process's own
 * time plus that of the children it has reaped (a PostgreSQL backend that ended counts in the
 * postmaster). Take it before and after a workload; the difference is what the workload cost.
 */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  const seen = new Set<number>();
  for (const pid of pids)
    for (const p of processTree(pid))
      if (!seen.has(p.pid)) {
        seen.add(p.pid);
        ticks += p.ticks;
      }
  return (ticks * 1000) / TICKS_PER_SECOND;
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
