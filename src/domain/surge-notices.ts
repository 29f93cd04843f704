/**
 * Who hears of a surge and what they are told. When a cell starts surging, technicians with a skill
 * in demand are asked to help: those homed in the cell or its neighbours who are off duty but still
 * have a shift today (to go online), and those on duty and free in a neighbouring cell (to head
 * over). Pure: the service reads the facts, this decides.
 */
import type { Localized } from "../lib/locale";

export interface SurgeNoticeCandidate {
  technicianId: string;
  homeCell: string;
  /** Skills the technician offers now (lapsed ones left out). */
  skills: readonly string[];
  online: boolean;
  /** Holds a job covering now. */
  busy: boolean;
  /** A shift of today (local) still ends after now. */
  onShiftToday: boolean;
}

export type SurgeNoticeReason = "go_online" | "head_over";

/**
 * The technicians to tell of a surge in `cell` and why. `skills` empty: the demand named no skill
 * (only bookings were counted), so any skill helps.
 */
export function surgeNoticeRecipients(
  cell: string,
  skills: readonly string[],
  candidates: readonly SurgeNoticeCandidate[],
): { technicianId: string; reason: SurgeNoticeReason }[] {
  const wanted = new Set(skills);
  const out: { technicianId: string; reason: SurgeNoticeReason }[] = [];
  for (const c of candidates) {
    if (wanted.size > 0 && !c.skills.some((s) => wanted.has(s))) continue;
    if (!c.online && c.onShiftToday) out.push({ technicianId: c.technicianId, reason: "go_online" });
    else if (c.online && !c.busy && c.homeCell !== cell) out.push({ technicianId: c.technicianId, reason: "head_over" });
  }
  return out;
}

/** The skills in demand as a person reads them: names joined, or "jobs" when none is named. */
export function skillList(names: readonly Localized[]): Localized {
  if (names.length === 0) return { zh: "上门服务", en: "jobs" };
  return { zh: names.map((n) => `「${n.zh}」`).join("、"), en: names.map((n) => n.en).join(", ") };
}

/** The notice's title and body for one technician. */
export function surgeNoticeText(reason: SurgeNoticeReason, skills: Localized): { title: Localized; body: Localized } {
  const title = { zh: "附近订单需求激增", en: "Demand is surging near you" };
  if (reason === "go_online") {
    return {
      title,
      body: {
        zh: `您附近的区域对${skills.zh}的需求激增，今天仍在班次内，现在上线即可更快接到订单。`,
        en: `Demand for ${skills.en} is surging near you. You are still on shift today: go online now to take jobs sooner.`,
      },
    };
  }
  return {
    title,
    body: {
      zh: `与您相邻的区域对${skills.zh}的需求激增，空闲时可前往该区域接单。`,
      en: `Demand for ${skills.en} is surging in an area next to yours; while you are free, you could head there to take jobs.`,
    },
  };
}
