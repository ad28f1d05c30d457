import { z } from 'zod';

const agent = z.object({ objectType: z.literal('Agent'), account: z.object({ homePage: z.string(), name: z.string() }) });

const gate = z.object({ name: z.string(), passed: z.boolean(), required: z.number(), actual: z.number(), reason: z.string() });

export const courseSchema = z.object({
  courseId: z.string(),
  title: z.string(),
  activityId: z.string(),
  credits: z.number(),
  kind: z.enum(['required', 'elective']),
  lengthSeconds: z.number(),
  videoUrl: z.string().nullable(),
  policy: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
});
export type Course = z.infer<typeof courseSchema>;

export interface CourseInput {
  title: string;
  /** The xAPI activity IRI statements about this course use. */
  activityId: string;
  credits: number;
  kind: 'required' | 'elective';
  lengthSeconds: number;
  /** URL (or server path) of the course video. */
  videoUrl?: string;
  /** Overrides of the default credit policy. */
  policy?: Record<string, unknown>;
}

export const launchSchema = z.object({
  launchToken: z.string(),
  registration: z.string(),
  actor: agent,
  activityId: z.string(),
  playerUrl: z.string(),
  expiresAt: z.string(),
});
export type Launch = z.infer<typeof launchSchema>;

export const learnerCreditsSchema = z.object({
  learnerId: z.string(),
  period: z.string(),
  earned: z.number(),
  courses: z.array(
    z.object({
      courseId: z.string(),
      title: z.string(),
      kind: z.enum(['required', 'elective']),
      credits: z.number(),
      earned: z.number(),
      coverage: z.number(),
      attention: z.number(),
      mastery: z.number(),
      engagement: z.number(),
      gates: z.array(gate),
    }),
  ),
});
export type LearnerCredits = z.infer<typeof learnerCreditsSchema>;
