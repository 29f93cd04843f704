/**
 * Surge notices to technicians: when a cell starts surging and its city has them on, technicians
 * homed in the cell or within `ring` rings of neighbours with a skill in demand are told, in zh-CN
 * and en through the notifications outbox: those off duty with a shift still to come today (go
 * online), and those on duty and free in a neighbouring cell (head over). Approved technicians only;
 * each at most once per the city's cooldown, whichever cell surged (a claim in D1, in the same batch
 * as the message).
 */
import { gridDisk, isValidCell } from "h3-js";
import { cellStub } from "../cells/cells.service";
import { getDb } from "../db/client";
import { shiftWindows } from "../domain/calendar";
import { skillList, surgeNoticeRecipients, type SurgeNoticeCandidate } from "../domain/surge-notices";
import { localDate } from "../domain/zoned";
import { newId } from "../lib/ids";
import { approvedTechniciansIn, claimSurgeNotice, skillNamesOf } from "./surge-notices.repo";
import type { SurgeNotify } from "./surge.service";

/** The cells within `ring` rings of `cell` (the cell alone when it is not an H3 cell). */
function cellsAround(cell: string, ring: number): string[] {
  return isValidCell(cell) ? gridDisk(cell, ring) : [cell];
}

/** What the cells say of each technician now: on duty, on a job, a shift still to come today. */
async function candidatesIn(env: Env, cells: string[], now: number): Promise<SurgeNoticeCandidate[]> {
  const db = getDb(env);
  const techs = await approvedTechniciansIn(db, cells);
  const byCell = new Map<string, typeof techs>();
  for (const t of techs) byCell.set(t.homeCell, [...(byCell.get(t.homeCell) ?? []), t]);
  const out: SurgeNoticeCandidate[] = [];
  await Promise.all(
    [...byCell].map(async ([cell, list]) => {
      const stub = cellStub(env, cell);
      const ids = list.map((t) => t.id);
      const [calendar, shifts] = await Promise.all([stub.exportCalendar(now, now + 1), stub.shiftsOf(ids)]);
      const online = new Set(calendar.presence.filter((p) => p.online).map((p) => p.technicianId));
      const busy = new Set(calendar.items.map((i) => i.technicianId));
      const shiftsOf = new Map(shifts.shifts.map((s) => [s.technicianId, s]));
      for (const t of list) {
        const s = shiftsOf.get(t.id);
        const windows = s
          ? shiftWindows(s.weekly, new Map(s.exceptions.map((e) => [e.date, e.intervals])), localDate(now, s.timeZone), s.timeZone)
          : [];
        const lapsed = new Set(t.lapsedSkills);
        out.push({
          technicianId: t.id,
          homeCell: t.homeCell,
          skills: t.skills.filter((k) => !lapsed.has(k)),
          online: online.has(t.id),
          busy: busy.has(t.id),
          onShiftToday: windows.some(([, end]) => end > now),
        });
      }
    }),
  );
  return out;
}

/**
 * Tells the technicians of a surge that started in `cell` at `at` (the cell event `eventId`), as the
 * city's settings say. Answers how many were told (0 when the settings are off).
 */
export async function notifySurge(
  env: Env,
  s: { cityId: string; cell: string; eventId: string; at: number; skills: readonly string[] },
  settings: SurgeNotify,
): Promise<number> {
  if (!settings.enabled) return 0;
  const candidates = await candidatesIn(env, cellsAround(s.cell, settings.ring), Date.now());
  const recipients = surgeNoticeRecipients(s.cell, s.skills, candidates);
  if (recipients.length === 0) return 0;
  const db = getDb(env);
  const names = skillList(await skillNamesOf(db, s.skills));
  let told = 0;
  for (const r of recipients) {
    const m = {
      id: newId("msg"),
      topic: "surge.call" as const,
      payload: { technicianId: r.technicianId, cityId: s.cityId, cell: s.cell, reason: r.reason, skills: [...s.skills], skillNames: names },
    };
    const claim = {
      technicianId: r.technicianId,
      cellId: s.cell,
      eventId: s.eventId,
      at: s.at,
      cooldownMs: settings.cooldownMinutes * 60_000,
    };
    if (await claimSurgeNotice(db, claim, m)) told += 1;
  }
  return told;
}
