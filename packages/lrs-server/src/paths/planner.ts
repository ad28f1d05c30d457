/**
 * The learning-path planner: which courses a learner should take to reach the period's target, in
 * what order and by when. Pure: no I/O, no clock; everything arrives in `PathInput`.
 *
 * Order: required courses not yet credited first (those already started first, then the best
 * credits per minute), then electives until the remaining credits are covered, taken round-robin
 * across categories so no one category fills the path, each category's best credits per minute
 * first. The work is spread evenly over the days left; when that needs more than the sustainable
 * pace (`maxMinutesPerWeek`), the dates follow that pace instead and the steps past the end are late.
 */

export interface CatalogCourse {
  courseId: string;
  title: string;
  kind: 'required' | 'elective';
  category: string | null;
  credits: number;
  lengthSeconds: number;
}

export interface PathInput {
  /** The target that applies; null: no target, no path. */
  target: { total: number; required: number } | null;
  /** Credits so far in the period. */
  earned: { required: number; elective: number };
  catalog: readonly CatalogCourse[];
  /** Courses already credited in the period: never suggested again. */
  credited: readonly string[];
  /** Courses started (launched) but not credited yet: suggested first in their group. */
  inProgress: readonly string[];
  /** The first day work can start, YYYY-MM-DD. */
  today: string;
  /** The period's last day, YYYY-MM-DD. */
  lastDay: string;
  /** The most study a week the plan may ask for. */
  maxMinutesPerWeek: number;
}

export type StepReason = 'required_missing' | 'elective';

// A type, not an interface: the API's loose object schema takes it as it is.
export type PathStep = {
  courseId: string;
  title: string;
  kind: 'required' | 'elective';
  category: string | null;
  credits: number;
  minutes: number;
  inProgress: boolean;
  reason: StepReason;
  /** Finish this course by this day (YYYY-MM-DD). */
  dueOn: string;
  /** The due day falls after the period ends at the sustainable pace. */
  late: boolean;
  /** Credits earned once this step and the ones before are done. */
  creditsAfter: number;
};

export type Unreachable = 'no_time' | 'pace' | 'catalog';

export interface LearningPath {
  status: 'met' | 'planned' | 'no_target';
  remaining: number;
  requiredRemaining: number;
  daysLeft: number;
  minutesNeeded: number;
  /** The pace the dates ask for, minutes a week (0 when nothing is left to do). */
  minutesPerWeek: number;
  maxMinutesPerWeek: number;
  /** Whether the steps reach the target in time at a sustainable pace. */
  reachable: boolean;
  /** Why not, every reason that applies. */
  unreachable: Unreachable[];
  /** Credits the catalog cannot supply even if every suggested course is done. */
  shortfall: number;
  steps: PathStep[];
}

const DAY = 86_400_000;
const tenths = (n: number) => Math.round(n * 10);
const dayNumber = (ymd: string) => Date.parse(`${ymd}T00:00:00Z`) / DAY;
const ymdOf = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
const minutesOf = (c: CatalogCourse) => Math.max(1, Math.ceil(c.lengthSeconds / 60));
const perMinute = (c: CatalogCourse) => c.credits / minutesOf(c);

/** Best first: started ones, then credits per minute, then more credits, then by id (stable). */
function better(inProgress: ReadonlySet<string>) {
  return (a: CatalogCourse, b: CatalogCourse) =>
    Number(inProgress.has(b.courseId)) - Number(inProgress.has(a.courseId)) || perMinute(b) - perMinute(a) || b.credits - a.credits || (a.courseId < b.courseId ? -1 : a.courseId > b.courseId ? 1 : 0);
}

/**
 * Plans a learner's path to their target.
 *
 * @example
 * planPath({ target: { total: 10, required: 4 }, earned: { required: 0, elective: 0 }, credited: [], inProgress: [],
 *   catalog: [{ courseId: 'safety', title: 'Safety', kind: 'required', category: null, credits: 4, lengthSeconds: 3600 }],
 *   today: '2026-06-01', lastDay: '2026-12-31', maxMinutesPerWeek: 180 }).steps[0]?.courseId; // 'safety'
 */
export function planPath(input: PathInput): LearningPath {
  const today = dayNumber(input.today);
  const last = dayNumber(input.lastDay);
  const daysLeft = Math.max(0, last - today + 1);
  const base = { daysLeft, maxMinutesPerWeek: input.maxMinutesPerWeek };
  if (!input.target) return { ...base, status: 'no_target', remaining: 0, requiredRemaining: 0, minutesNeeded: 0, minutesPerWeek: 0, reachable: false, unreachable: [], shortfall: 0, steps: [] };
  const earnedTotal = tenths(input.earned.required) + tenths(input.earned.elective);
  const remaining = Math.max(0, tenths(input.target.total) - earnedTotal);
  const requiredRemaining = Math.max(0, tenths(input.target.required) - tenths(input.earned.required));
  if (remaining === 0 && requiredRemaining === 0) {
    return { ...base, status: 'met', remaining: 0, requiredRemaining: 0, minutesNeeded: 0, minutesPerWeek: 0, reachable: true, unreachable: [], shortfall: 0, steps: [] };
  }

  const credited = new Set(input.credited);
  const inProgress = new Set(input.inProgress);
  const open = input.catalog.filter((c) => !credited.has(c.courseId) && c.credits > 0);
  const order = better(inProgress);
  const chosen: { course: CatalogCourse; reason: StepReason }[] = open
    .filter((c) => c.kind === 'required')
    .sort(order)
    .map((course) => ({ course, reason: 'required_missing' }));
  const requiredPlanned = chosen.reduce((s, c) => s + tenths(c.course.credits), 0);

  // Electives, round-robin across categories: the category with the fewest picks goes next, the
  // one whose next course is worth more per minute breaking a tie.
  let covered = earnedTotal + requiredPlanned;
  const goal = tenths(input.target.total);
  const queues = new Map<string, CatalogCourse[]>();
  for (const c of open.filter((c) => c.kind === 'elective').sort(order)) queues.set(c.category ?? '', [...(queues.get(c.category ?? '') ?? []), c]);
  const picks = new Map<string, number>();
  while (covered < goal) {
    let best: string | undefined;
    for (const [category, queue] of queues) {
      if (!queue.length) continue;
      if (best === undefined) best = category;
      else {
        const byPicks = (picks.get(category) ?? 0) - (picks.get(best) ?? 0);
        if (byPicks < 0 || (byPicks === 0 && order(queue[0]!, queues.get(best)![0]!) < 0)) best = category;
      }
    }
    if (best === undefined) break;
    const course = queues.get(best)!.shift()!;
    picks.set(best, (picks.get(best) ?? 0) + 1);
    chosen.push({ course, reason: 'elective' });
    covered += tenths(course.credits);
  }

  const requiredShort = Math.max(0, requiredRemaining - requiredPlanned);
  const shortfall = Math.max(requiredShort, goal - covered, 0);
  const minutesNeeded = chosen.reduce((s, c) => s + minutesOf(c.course), 0);
  const sustainablePerDay = input.maxMinutesPerWeek / 7;
  const evenPerDay = daysLeft > 0 ? minutesNeeded / daysLeft : Infinity;
  const perDay = Math.min(evenPerDay, sustainablePerDay);
  const unreachable: Unreachable[] = [];
  if (daysLeft === 0) unreachable.push('no_time');
  else if (evenPerDay > sustainablePerDay) unreachable.push('pace');
  if (shortfall > 0) unreachable.push('catalog');

  let minutes = 0;
  let credits = earnedTotal;
  const steps = chosen.map(({ course, reason }): PathStep => {
    minutes += minutesOf(course);
    credits += tenths(course.credits);
    // A tiny epsilon keeps float division from pushing an exact fit one day later.
    const day = today + Math.max(0, Math.ceil(minutes / perDay - 1e-9) - 1);
    return {
      courseId: course.courseId,
      title: course.title,
      kind: course.kind,
      category: course.category,
      credits: course.credits,
      minutes: minutesOf(course),
      inProgress: inProgress.has(course.courseId),
      reason,
      dueOn: ymdOf(Number.isFinite(day) ? Math.max(today, day) : today),
      late: !Number.isFinite(day) || day > last,
      creditsAfter: credits / 10,
    };
  });
  return {
    ...base,
    status: 'planned',
    remaining: remaining / 10,
    requiredRemaining: requiredRemaining / 10,
    minutesNeeded,
    minutesPerWeek: minutesNeeded === 0 ? 0 : daysLeft === 0 ? input.maxMinutesPerWeek : Math.min(input.maxMinutesPerWeek, Math.ceil((minutesNeeded * 7) / daysLeft)),
    reachable: unreachable.length === 0,
    unreachable,
    shortfall: shortfall / 10,
    steps,
  };
}
