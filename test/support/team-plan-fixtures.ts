/** A cell's day for the team-plan tests: the travel model, one day's shift, technicians and jobs. */
import type { TravelModel } from "../../src/domain/calendar";
import type { PlanJob, PlanTechnician } from "../../src/domain/team-plan";

export const MODEL: TravelModel = { roadFactor: 1.4, speedKmh: 25, bufferMinutes: 10 };
export const HOUR = 3_600_000;
export const DAY0 = Date.UTC(2030, 0, 7, 0);
export const shift: [number, number] = [DAY0 + 8 * HOUR, DAY0 + 20 * HOUR];

export const tech = (id: string, lng: number, skills = ["clean"]): PlanTechnician => ({
  id,
  home: { lat: 31, lng },
  skills,
  shifts: [shift],
});

/** A movable cleaning job of `hours` hours at `hour` o'clock on DAY0, on `technicianId`. */
export const planJob = (
  orderId: string,
  technicianId: string,
  lng: number,
  hour: number,
  hours: number,
  over: Partial<PlanJob> = {},
): PlanJob => ({
  orderId,
  technicianId,
  point: { lat: 31, lng },
  start: DAY0 + hour * HOUR,
  end: DAY0 + (hour + hours) * HOUR,
  skills: ["clean"],
  movable: true,
  ...over,
});
