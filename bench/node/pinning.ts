/**
 * CPU pinning with `taskset` (util-linux): the load generator (this Node process) on one core, the
 * system under test on the other (workerd alone, wrangler with its workerd, or PostgreSQL together
 * with the peer's HTTP server), so each side gets the same CPU and neither steals from the other.
 * What was pinned, how, and what the kernel reports afterwards (/proc/<pid>/status) goes into the
 * results. Without taskset, or with fewer than two cores, nothing is pinned and the results say so.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { processTree } from "./processes.ts";

export interface Pinning {
  pinned: boolean;
  /** Why not, when not pinned. */
  reason: string | null;
  /** Cores of the load generator and of the system under test, as taskset lists them ("0", "1"). */
  generator: string | null;
  system: string | null;
  /** The commands that pinned (abbreviated: the program and the taskset prefix). */
  commands: string[];
}

function tasksetPath(): string | null {
  const r = spawnSync("sh", ["-c", "command -v taskset"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Decides the pinning for this machine; `disabled` (--no-pin) turns it off. */
export function planPinning(disabled: boolean): Pinning {
  const none = (reason: string): Pinning => ({ pinned: false, reason, generator: null, system: null, commands: [] });
  if (disabled) return none("not pinned: --no-pin");
  if (os.platform() !== "linux") return none(`not pinned: ${os.platform()} has no taskset`);
  if (!tasksetPath()) return none("not pinned: taskset (util-linux) is not installed");
  const cores = os.cpus().length;
  if (cores < 2) return none(`not pinned: ${cores} core`);
  // The last two cores: on a two-core machine, 0 for the generator and 1 for the system under test.
  return { pinned: true, reason: null, generator: String(cores - 2), system: String(cores - 1), commands: [] };
}

/** Pins this process (every thread) to the generator's core. */
export function pinGenerator(p: Pinning): void {
  if (!p.pinned) return;
  execFileSync("taskset", ["-a", "-p", "-c", p.generator!, String(process.pid)], { stdio: "ignore" });
  p.commands.push(`taskset -a -p -c ${p.generator} <bench runner pid> (the load generator)`);
}

/** Lets this process run on every core again (for work that is not a measurement). */
export function unpinGenerator(p: Pinning): void {
  if (!p.pinned) return;
  execFileSync("taskset", ["-a", "-p", "-c", `0-${os.cpus().length - 1}`, String(process.pid)], { stdio: "ignore" });
}

/** `command args` as started on the system's core (taskset execs it: the pid stays the program's). */
export function onSystemCore(p: Pinning, name: string, command: string, args: string[]): [string, string[]] {
  if (!p.pinned) return [command, args];
  const line = `taskset -c ${p.system} ${name}`;
  if (!p.commands.includes(line)) p.commands.push(line);
  return ["taskset", ["-c", p.system!, command, ...args]];
}

/** The cores the kernel lets each process of the tree under `pid` run on, as "comm pid: list". */
export function affinities(pid: number): string[] {
  return processTree(pid).map((proc) => {
    let list = "?";
    try {
      list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? "?";
    } catch {
      // gone
    }
    return `${proc.comm} ${proc.pid}: ${list}`;
  });
}
