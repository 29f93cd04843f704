/**
 * Surge detection inside one CellDO: demand counted in short buckets (holds placed here, searches
 * for a job in this cell that found nobody) against supply (technicians homed here who are online
 * and not on a job now), run through the hysteresis rule of src/domain/surge.ts. Work is bounded:
 * one row per bucket of the window, one evaluation per `evaluateMs` at most. A change of state is
 * written to the outbox in the same transaction as the new state (the Worker records and tells).
 */
import { getResolution, isValidCell, latLngToCell } from "h3-js";
import type { CellEventBody } from "../src/domain/cell-events";
import {
  DEFAULT_SURGE_RULE,
  NORMAL,
  stepSurge,
  validSurgeRule,
  windowDemand,
  type SurgeMemory,
  type SurgeRule,
  type SurgeState,
} from "../src/domain/surge";

export interface SurgeConfig {
  rule: SurgeRule;
  bucketMs: number;
  windowBuckets: number;
  /** At most one evaluation per this long (0: on every counted event). */
  evaluateMs: number;
}

const MEMORY_KEY = "surge_memory";
/** The most skills a search counts and a `surge.changed` event names. */
const MAX_SKILLS = 8;

interface StoredMemory extends SurgeMemory {
  since: number;
  evaluatedAt: number;
  demand: number;
  supply: number;
  ratio: number;
}

/** What the cell says of its surge state. */
export interface SurgeView {
  state: SurgeState;
  since: number | null;
  demand: number;
  supply: number;
  ratio: number;
  evaluatedAt: number | null;
}

const num = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
};

/** The surge knobs from the Worker's variables (the Worker validates them; bad values fall back here). */
export function surgeConfigOf(vars: Partial<Record<string, string>>): SurgeConfig {
  const rule: SurgeRule = {
    enterRatio: num(vars.SURGE_ENTER_RATIO, DEFAULT_SURGE_RULE.enterRatio),
    exitRatio: num(vars.SURGE_EXIT_RATIO, DEFAULT_SURGE_RULE.exitRatio),
    enterAfter: Math.max(1, Math.floor(num(vars.SURGE_ENTER_AFTER, DEFAULT_SURGE_RULE.enterAfter))),
    exitAfter: Math.max(1, Math.floor(num(vars.SURGE_EXIT_AFTER, DEFAULT_SURGE_RULE.exitAfter))),
    minDemand: num(vars.SURGE_MIN_DEMAND, DEFAULT_SURGE_RULE.minDemand),
  };
  return {
    rule: validSurgeRule(rule) ? rule : DEFAULT_SURGE_RULE,
    bucketMs: Math.max(1, num(vars.SURGE_BUCKET_SECONDS, 60)) * 1000,
    windowBuckets: Math.max(1, Math.floor(num(vars.SURGE_WINDOW_BUCKETS, 15))),
    evaluateMs: num(vars.SURGE_EVALUATE_SECONDS, 60) * 1000,
  };
}

export class SurgeStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly kv: SyncKvStorage,
    private readonly config: SurgeConfig,
  ) {}

  /** True when a search at this point is this cell's demand (a cell not named by H3 counts every one). */
  isHere(cell: string, lat: number, lng: number): boolean {
    if (!isValidCell(cell)) return true;
    return latLngToCell(lat, lng, getResolution(cell)) === cell;
  }

  /**
   * Counts demand in the current bucket, with the skills it asked for when known (a search that found
   * nobody), and forgets buckets out of the window (inside a transaction).
   */
  count(now: number, n = 1, skills: readonly string[] = []): void {
    const bucket = Math.floor(now / this.config.bucketMs);
    this.sql.exec(
      "INSERT INTO surge_demand (bucket, count) VALUES (?1, ?2) ON CONFLICT (bucket) DO UPDATE SET count = count + ?2",
      bucket,
      n,
    );
    for (const skill of new Set(skills.slice(0, MAX_SKILLS))) {
      this.sql.exec(
        "INSERT INTO surge_demand_skills (bucket, skill, count) VALUES (?1, ?2, ?3) ON CONFLICT (bucket, skill) DO UPDATE SET count = count + ?3",
        bucket,
        skill,
        n,
      );
    }
    this.sql.exec("DELETE FROM surge_demand WHERE bucket <= ?", bucket - this.config.windowBuckets);
    this.sql.exec("DELETE FROM surge_demand_skills WHERE bucket <= ?", bucket - this.config.windowBuckets);
  }

  /** The skills asked for in the window, most asked first (at most MAX_SKILLS). */
  private demandedSkills(now: number): string[] {
    const last = Math.floor(now / this.config.bucketMs);
    return this.sql
      .exec<{ skill: string }>(
        "SELECT skill FROM surge_demand_skills WHERE bucket > ?1 AND bucket <= ?2 GROUP BY skill ORDER BY SUM(count) DESC, skill LIMIT ?3",
        last - this.config.windowBuckets,
        last,
        MAX_SKILLS,
      )
      .toArray()
      .map((r) => r.skill);
  }

  private memory(): StoredMemory | undefined {
    return this.kv.get<StoredMemory>(MEMORY_KEY);
  }

  /** True when an evaluation is due (the last one is at least `evaluateMs` old). */
  due(now: number): boolean {
    const m = this.memory();
    return m === undefined || now - m.evaluatedAt >= this.config.evaluateMs;
  }

  /** When the alarm should evaluate again: while surging or with demand in the window. Null: nothing to watch. */
  nextEvaluation(now: number): number | null {
    const m = this.memory();
    if (m === undefined) return null;
    const watching = m.state === "surging" || m.streak > 0 || this.demand(now) > 0;
    return watching ? m.evaluatedAt + Math.max(this.config.evaluateMs, this.config.bucketMs) : null;
  }

  private demand(now: number): number {
    const rows = this.sql.exec<{ bucket: number; count: number }>("SELECT bucket, count FROM surge_demand").toArray();
    return windowDemand(new Map(rows.map((r) => [r.bucket, r.count])), now, this.config.bucketMs, this.config.windowBuckets);
  }

  /**
   * One evaluation with `supply` free technicians (inside a transaction): the new memory is kept and,
   * when the state changed, the `surge.changed` event to write to the outbox is answered.
   */
  evaluate(now: number, supply: number): CellEventBody | null {
    const prior = this.memory() ?? { ...NORMAL, since: now, evaluatedAt: 0, demand: 0, supply: 0, ratio: 0 };
    const demand = this.demand(now);
    const step = stepSurge(prior, demand, supply, this.config.rule);
    const next: StoredMemory = {
      ...step.memory,
      since: step.changed ? now : prior.since,
      evaluatedAt: now,
      ...step.figures,
    };
    this.kv.put(MEMORY_KEY, next);
    if (!step.changed) return null;
    return {
      type: "surge.changed",
      from: prior.state,
      to: next.state,
      at: now,
      demand,
      supply,
      ratio: Math.round(step.figures.ratio * 100) / 100,
      skills: this.demandedSkills(now),
    };
  }

  view(): SurgeView {
    const m = this.memory();
    return {
      state: m?.state ?? "normal",
      since: m?.since ?? null,
      demand: m?.demand ?? 0,
      supply: m?.supply ?? 0,
      ratio: m ? Math.round(m.ratio * 100) / 100 : 0,
      evaluatedAt: m?.evaluatedAt ?? null,
    };
  }
}
