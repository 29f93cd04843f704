import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, IdParam, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";
import { MEDIA_MAX_BYTES, mediaTooLarge } from "./training.service";

const TAGS = ["Training"];
const staff = requireRole("operator", "admin", "merchant_admin");
const platform = requireRole("operator", "admin");
const technician = requireRole("technician");

const Title = z.string().trim().min(1).max(200);
const Text = z.string().max(20_000);
const SkillCode = z.string().min(1).max(64);
const Iso = z.string().openapi({ format: "date-time" });
const MerchantScope = z.string().min(1).max(64).nullable().optional().openapi({
  description:
    "Operators: the merchant whose technicians only may see it (null or absent: every technician). A merchant_admin's is always its own merchant.",
});

const CourseParam = IdParam("courseId", "crs_01J0000000000000000000000");
const LessonParam = CourseParam.merge(IdParam("lessonId", "lsn_01J0000000000000000000000"));
const BankParam = IdParam("bankId", "qbk_01J0000000000000000000000");
const QuestionParam = BankParam.merge(IdParam("questionId", "qst_01J0000000000000000000000"));
const ExamParam = IdParam("examId", "exm_01J0000000000000000000000");
const AttemptParam = IdParam("attemptId", "att_01J0000000000000000000000");
const SkillParam = IdParam("code", "cleaning");
const ListQuery = z.object({ limit: LimitQuery, cursor: CursorQuery });
const PAGED = " Paged like every list: `?limit=` (1–100, default 20) and `?cursor=` the last page's `nextCursor` (null on the last page).";

const Progress = z
  .object({
    lessons: z.number().int(),
    completed: z.number().int(),
    percent: z.number().int().openapi({ description: "completed × 100 / lessons, rounded down" }),
  })
  .openapi("TrainingProgress");

const Media = z
  .object({ contentType: z.string(), size: z.number().int(), url: z.string() })
  .nullable()
  .openapi("LessonMedia", { description: "The lesson's image or video; GET the url with the same token (Range requests supported)." });

const Lesson = z
  .object({
    id: z.string(),
    courseId: z.string(),
    position: z.number().int(),
    title: z.string(),
    body: z.string(),
    media: Media,
    completed: z.boolean().optional(),
  })
  .openapi("Lesson");

const Course = z
  .object({
    id: z.string(),
    merchantId: z.string().nullable(),
    skill: z.string().nullable(),
    title: z.string(),
    description: z.string(),
    published: z.boolean(),
    lessonCount: z.number().int(),
    createdAt: Iso,
    updatedAt: Iso,
  })
  .openapi("Course");
const CourseDetail = Course.extend({ lessons: z.array(Lesson) }).openapi("CourseDetail");
const MyCourse = Course.extend({ enrolledAt: Iso.nullable(), progress: Progress }).openapi("MyCourse");
const MyCourseDetail = MyCourse.extend({ lessons: z.array(Lesson) }).openapi("MyCourseDetail");

const CreateCourse = z
  .object({
    title: Title,
    description: Text.default(""),
    skill: SkillCode.nullable().optional(),
    merchantId: MerchantScope,
    published: z.boolean().optional(),
  })
  .strict()
  .openapi("CreateCourse");
const PatchCourse = z
  .object({
    title: Title.optional(),
    description: Text.optional(),
    skill: SkillCode.nullable().optional(),
    published: z.boolean().optional(),
  })
  .strict()
  .openapi("PatchCourse");
const CreateLesson = z
  .object({ title: Title, body: Text.default("") })
  .strict()
  .openapi("CreateLesson");
const PatchLesson = z.object({ title: Title.optional(), body: Text.optional() }).strict().openapi("PatchLesson");

const QuestionKind = z.enum(["single", "multiple", "true_false"]);
const Question = z
  .object({
    id: z.string(),
    bankId: z.string(),
    kind: QuestionKind,
    prompt: z.string(),
    options: z.array(z.string()),
    correct: z.array(z.number().int()).openapi({ description: "Indexes of the right options (staff only; never sent to technicians)" }),
  })
  .openapi("Question");
const CreateQuestion = z
  .object({
    kind: QuestionKind,
    prompt: z.string().trim().min(1).max(2000),
    options: z
      .array(z.string().trim().min(1).max(500))
      .max(10)
      .optional()
      .openapi({ description: "2–10 options (ignored for true_false: 0 = true, 1 = false)" }),
    correct: z.array(z.number().int().min(0).max(9)).min(1).max(10),
  })
  .strict()
  .openapi("CreateQuestion");
const Bank = z.object({ id: z.string(), merchantId: z.string().nullable(), title: z.string(), createdAt: Iso }).openapi("QuestionBank");
const BankDetail = Bank.extend({ questions: z.array(Question) }).openapi("QuestionBankDetail");
const CreateBank = z.object({ title: Title, merchantId: MerchantScope }).strict().openapi("CreateQuestionBank");

const examFields = {
  title: Title,
  skill: SkillCode.nullable()
    .optional()
    .openapi({ description: "The skill a pass certifies (a skill that requires certification is dispatched only to holders)" }),
  drawCount: z.number().int().min(1).max(100).openapi({ description: "Questions drawn at random from the bank per attempt" }),
  passPercent: z.number().int().min(0).max(100),
  timeLimitSeconds: z
    .number()
    .int()
    .min(30)
    .max(4 * 3600),
  maxAttempts: z.number().int().min(1).max(20),
  validDays: z.number().int().min(1).max(3650).openapi({ description: "Days a certification stays valid" }),
  published: z.boolean().optional(),
};
const Exam = z
  .object({
    id: z.string(),
    merchantId: z.string().nullable(),
    bankId: z.string(),
    skill: z.string().nullable(),
    title: z.string(),
    drawCount: z.number().int(),
    passPercent: z.number().int(),
    timeLimitSeconds: z.number().int(),
    maxAttempts: z.number().int(),
    validDays: z.number().int(),
    published: z.boolean(),
    createdAt: Iso,
  })
  .openapi("Exam");
const CreateExam = z
  .object({ ...examFields, bankId: z.string().min(1).max(64), merchantId: MerchantScope })
  .strict()
  .openapi("CreateExam");
const PatchExam = z
  .object({
    title: examFields.title.optional(),
    skill: examFields.skill,
    drawCount: examFields.drawCount.optional(),
    passPercent: examFields.passPercent.optional(),
    timeLimitSeconds: examFields.timeLimitSeconds.optional(),
    maxAttempts: examFields.maxAttempts.optional(),
    validDays: examFields.validDays.optional(),
    published: z.boolean().optional(),
  })
  .strict()
  .openapi("PatchExam");
const AttemptSummary = z.object({
  id: z.string(),
  status: z.enum(["open", "passed", "failed", "expired"]),
  score: z.number().int().nullable(),
  startedAt: Iso,
  submittedAt: Iso.nullable(),
});
const MyExam = Exam.extend({ attemptsUsed: z.number().int(), attemptsLeft: z.number().int(), attempts: z.array(AttemptSummary) }).openapi(
  "MyExam",
);
const Attempt = z
  .object({
    id: z.string(),
    examId: z.string(),
    startedAt: Iso,
    deadlineAt: Iso,
    questions: z.array(z.object({ id: z.string(), kind: QuestionKind, prompt: z.string(), options: z.array(z.string()) })),
  })
  .openapi("ExamAttempt");
const Submission = z
  .object({
    answers: z
      .record(z.string().max(64), z.array(z.number().int().min(0).max(9)).max(10))
      .refine((a) => Object.keys(a).length <= 100, "at most 100 answers")
      .openapi({ description: "Per question id: the indexes of the options chosen (a question left out counts as wrong)" }),
  })
  .strict()
  .openapi("ExamSubmission");
const Certification = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    examId: z.string(),
    skill: z.string().nullable(),
    issuedAt: Iso,
    expiresAt: Iso,
    valid: z.boolean(),
  })
  .openapi("Certification");
const Graded = z
  .object({
    attemptId: z.string(),
    status: z.enum(["passed", "failed"]),
    score: z.number().int(),
    total: z.number().int(),
    passPercent: z.number().int(),
    results: z.record(z.string(), z.boolean()),
    certification: Certification.nullable(),
  })
  .openapi("ExamResult");
const Overview = z
  .object({
    progress: z.array(
      z.object({
        technicianId: z.string(),
        technicianName: z.string(),
        courseId: z.string(),
        courseTitle: z.string(),
        enrolledAt: Iso,
        progress: Progress,
      }),
    ),
    certifications: z.array(Certification.extend({ technicianName: z.string(), examTitle: z.string() })),
  })
  .openapi("TrainingOverview");
const items = <T extends z.ZodType>(s: T, d: string) => jsonContent(z.object({ items: z.array(s) }), d);
const paged = <T extends z.ZodType>(s: T, d: string) => jsonContent(page(s), d);

const Binary = z.string().openapi({ type: "string", format: "binary" });
const mediaContent = Object.fromEntries(
  ["image/jpeg", "image/png", "image/webp", "video/mp4", "video/webm"].map((t) => [t, { schema: Binary }]),
);

const mediaBodyLimit = bodyLimit({
  maxSize: MEDIA_MAX_BYTES,
  onError: () => {
    throw mediaTooLarge();
  },
});

// Staff: courses and lessons

export const createCourse = createRoute({
  operationId: "createTrainingCourse",
  method: "post",
  path: "/v1/training/courses",
  tags: TAGS,
  summary: "Create a course (operators: for everyone or one merchant; a merchant_admin: for its own technicians)",
  description:
    "Starts unpublished unless `published`; technicians see published courses only. 404 when the skill or merchant does not exist.",
  security: bearer,
  middleware: [staff] as const,
  request: { body: jsonBody(CreateCourse) },
  responses: { 201: jsonContent(Course, "Created"), ...authErrors(404, 413, 415) },
});

export const listCourses = createRoute({
  operationId: "listTrainingCourses",
  method: "get",
  path: "/v1/training/courses",
  tags: TAGS,
  summary: "Courses (a merchant_admin sees its merchant's only), newest first",
  description: PAGED.trim(),
  security: bearer,
  middleware: [staff] as const,
  request: { query: ListQuery },
  responses: { 200: paged(Course, "Courses"), ...authErrors() },
});

export const getCourse = createRoute({
  operationId: "getTrainingCourse",
  method: "get",
  path: "/v1/training/courses/{courseId}",
  tags: TAGS,
  summary: "One course with its lessons (404 for another merchant's)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: CourseParam },
  responses: { 200: jsonContent(CourseDetail, "The course"), ...authErrors(404) },
});

export const patchCourse = createRoute({
  operationId: "patchTrainingCourse",
  method: "patch",
  path: "/v1/training/courses/{courseId}",
  tags: TAGS,
  summary: "Edit or publish a course",
  security: bearer,
  middleware: [staff] as const,
  request: { params: CourseParam, body: jsonBody(PatchCourse) },
  responses: { 200: jsonContent(CourseDetail, "The course"), ...authErrors(404, 413, 415) },
});

export const addLesson = createRoute({
  operationId: "addTrainingLesson",
  method: "post",
  path: "/v1/training/courses/{courseId}/lessons",
  tags: TAGS,
  summary: "Add a text lesson at the end of the course (attach an image or video with PUT …/media)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: CourseParam, body: jsonBody(CreateLesson) },
  responses: { 201: jsonContent(Lesson, "Created"), ...authErrors(404, 413, 415) },
});

export const patchLesson = createRoute({
  operationId: "patchTrainingLesson",
  method: "patch",
  path: "/v1/training/courses/{courseId}/lessons/{lessonId}",
  tags: TAGS,
  summary: "Edit a lesson's title or text",
  security: bearer,
  middleware: [staff] as const,
  request: { params: LessonParam, body: jsonBody(PatchLesson) },
  responses: { 200: jsonContent(Lesson, "The lesson"), ...authErrors(404, 413, 415) },
});

export const uploadMedia = createRoute({
  operationId: "uploadTrainingLessonMedia",
  method: "put",
  path: "/v1/training/courses/{courseId}/lessons/{lessonId}/media",
  tags: TAGS,
  summary: "Attach the lesson's image or video (raw body; replaces an earlier one)",
  description:
    "`Content-Type` image/jpeg, image/png, image/webp, video/mp4 or video/webm (else 415), at most 50 MB (else 413 TRAINING_MEDIA_TOO_LARGE), and the bytes must be that format (else 400 TRAINING_MEDIA_INVALID). Stored in R2 under `training/`.",
  security: bearer,
  middleware: [staff, mediaBodyLimit] as const,
  request: { params: LessonParam, body: { required: true, content: mediaContent } },
  responses: { 200: jsonContent(Lesson, "The lesson with its media"), ...authErrors(404, 413, 415) },
});

export const getMedia = createRoute({
  operationId: "getTrainingLessonMedia",
  method: "get",
  path: "/v1/training/courses/{courseId}/lessons/{lessonId}/media",
  tags: TAGS,
  summary: "A lesson's image or video (the course's staff, technicians enrolled in it)",
  description:
    "Honours one `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` with 206 Partial Content and `Content-Range` (for video seeking); without a Range header, the whole file with 200. A Range header that is not one byte range (another unit, several ranges, `bytes=5-3`) or that asks for nothing inside the file (starts past the end, `bytes=-0`, an empty file) is 416 RANGE_NOT_SATISFIABLE (problem+json) with `Content-Range: bytes */<size>`. `Accept-Ranges: bytes`. 404 for anyone not enrolled (technicians) or not running the course (staff), whatever the Range.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: LessonParam },
  responses: {
    200: { description: "The whole file", content: mediaContent },
    206: { description: "The part asked for", content: mediaContent },
    ...authErrors(404, 416),
  },
});

// Staff: question banks

export const createBank = createRoute({
  operationId: "createQuestionBank",
  method: "post",
  path: "/v1/training/banks",
  tags: TAGS,
  summary: "Create a question bank",
  security: bearer,
  middleware: [staff] as const,
  request: { body: jsonBody(CreateBank) },
  responses: { 201: jsonContent(BankDetail, "Created"), ...authErrors(404, 413, 415) },
});

export const listBanks = createRoute({
  operationId: "listQuestionBanks",
  method: "get",
  path: "/v1/training/banks",
  tags: TAGS,
  summary: "Question banks (a merchant_admin: its own), newest first",
  description: PAGED.trim(),
  security: bearer,
  middleware: [staff] as const,
  request: { query: ListQuery },
  responses: { 200: paged(Bank, "Banks"), ...authErrors() },
});

export const getBank = createRoute({
  operationId: "getQuestionBank",
  method: "get",
  path: "/v1/training/banks/{bankId}",
  tags: TAGS,
  summary: "A question bank with its questions and their right answers (staff only)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: BankParam },
  responses: { 200: jsonContent(BankDetail, "The bank"), ...authErrors(404) },
});

export const addQuestion = createRoute({
  operationId: "addBankQuestion",
  method: "post",
  path: "/v1/training/banks/{bankId}/questions",
  tags: TAGS,
  summary: "Add a question: single choice (one right option), multiple choice (one or more) or true/false",
  description:
    "400 VALIDATION_FAILED when fewer than 2 options, a right index past the options, or not exactly one right option for single/true_false.",
  security: bearer,
  middleware: [staff] as const,
  request: { params: BankParam, body: jsonBody(CreateQuestion) },
  responses: { 201: jsonContent(Question, "Created"), ...authErrors(404, 413, 415) },
});

export const deleteQuestion = createRoute({
  operationId: "deleteBankQuestion",
  method: "delete",
  path: "/v1/training/banks/{bankId}/questions/{questionId}",
  tags: TAGS,
  summary: "Remove a question (an attempt that drew it counts it as wrong)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: QuestionParam },
  responses: { 204: { description: "Removed" }, ...authErrors(404) },
});

// Staff: exams, overview, skill requirements

export const createExam = createRoute({
  operationId: "createExam",
  method: "post",
  path: "/v1/training/exams",
  tags: TAGS,
  summary: "Create an exam on a bank of the same owner: draw, pass mark, time limit, attempts, certification validity",
  security: bearer,
  middleware: [staff] as const,
  request: { body: jsonBody(CreateExam) },
  responses: { 201: jsonContent(Exam, "Created"), ...authErrors(404, 413, 415) },
});

export const listExams = createRoute({
  operationId: "listExams",
  method: "get",
  path: "/v1/training/exams",
  tags: TAGS,
  summary: "Exams (a merchant_admin: its own), newest first",
  description: PAGED.trim(),
  security: bearer,
  middleware: [staff] as const,
  request: { query: ListQuery },
  responses: { 200: paged(Exam, "Exams"), ...authErrors() },
});

export const patchExam = createRoute({
  operationId: "patchExam",
  method: "patch",
  path: "/v1/training/exams/{examId}",
  tags: TAGS,
  summary: "Change an exam's settings or publish it (open attempts keep their deadline and questions)",
  security: bearer,
  middleware: [staff] as const,
  request: { params: ExamParam, body: jsonBody(PatchExam) },
  responses: { 200: jsonContent(Exam, "The exam"), ...authErrors(404, 413, 415) },
});

export const overview = createRoute({
  operationId: "getTrainingOverview",
  method: "get",
  path: "/v1/training/overview",
  tags: TAGS,
  summary: "Technicians' course progress and certifications (a merchant_admin: its technicians only)",
  security: bearer,
  middleware: [staff] as const,
  responses: { 200: jsonContent(Overview, "Progress and certifications, newest first, at most 200 each"), ...authErrors() },
});

export const listRequirements = createRoute({
  operationId: "listSkillCertificationRequirements",
  method: "get",
  path: "/v1/training/skill-requirements",
  tags: TAGS,
  summary: "Skills dispatch offers only to technicians with a valid certification of the skill",
  security: bearer,
  middleware: [staff] as const,
  responses: { 200: items(z.object({ skill: z.string() }), "Skills requiring certification"), ...authErrors() },
});

export const setRequirement = createRoute({
  operationId: "setSkillCertificationRequirement",
  method: "put",
  path: "/v1/admin/training/skill-requirements/{code}",
  tags: TAGS,
  summary: "Operators: require (or stop requiring) a certification of the skill before dispatch offers it",
  description:
    "While required, a technician is offered orders needing the skill only while holding an unexpired certification of it (from a passed exam whose `skill` is this code); the technicians with the skill are reloaded in their cells at once, and again when a certification expires (the cron).",
  security: bearer,
  middleware: [platform] as const,
  request: { params: SkillParam, body: jsonBody(z.object({ required: z.boolean() }).strict()) },
  responses: { 200: jsonContent(z.object({ skill: z.string(), required: z.boolean() }), "Saved"), ...authErrors(404, 413, 415) },
});

// Technicians

export const myCourses = createRoute({
  operationId: "listMyTrainingCourses",
  method: "get",
  path: "/v1/technician/training/courses",
  tags: TAGS,
  summary: "Courses open to me (platform courses and my merchant's), with my enrollment and progress",
  description: PAGED.trim(),
  security: bearer,
  middleware: [technician] as const,
  request: { query: ListQuery },
  responses: { 200: paged(MyCourse, "Courses"), ...authErrors(404) },
});

export const myCourse = createRoute({
  operationId: "getMyTrainingCourse",
  method: "get",
  path: "/v1/technician/training/courses/{courseId}",
  tags: TAGS,
  summary: "One course with its lessons (text and media only once enrolled) and what I completed",
  security: bearer,
  middleware: [technician] as const,
  request: { params: CourseParam },
  responses: { 200: jsonContent(MyCourseDetail, "The course"), ...authErrors(404) },
});

export const enroll = createRoute({
  operationId: "enrollInTrainingCourse",
  method: "put",
  path: "/v1/technician/training/courses/{courseId}/enrollment",
  tags: TAGS,
  summary: "Enrol in a course (idempotent)",
  security: bearer,
  middleware: [technician] as const,
  request: { params: CourseParam },
  responses: { 200: jsonContent(MyCourseDetail, "The course"), ...authErrors(404) },
});

export const completeLesson = createRoute({
  operationId: "completeTrainingLesson",
  method: "put",
  path: "/v1/technician/training/courses/{courseId}/lessons/{lessonId}/completion",
  tags: TAGS,
  summary: "Mark a lesson completed (idempotent); 409 TRAINING_NOT_ENROLLED before enrolling",
  security: bearer,
  middleware: [technician] as const,
  request: { params: LessonParam },
  responses: { 200: jsonContent(MyCourseDetail, "The course with my progress"), ...authErrors(404, 409) },
});

export const myExams = createRoute({
  operationId: "listMyExams",
  method: "get",
  path: "/v1/technician/training/exams",
  tags: TAGS,
  summary: "Exams open to me with my attempts (used and left)",
  description: PAGED.trim(),
  security: bearer,
  middleware: [technician] as const,
  request: { query: ListQuery },
  responses: { 200: paged(MyExam, "Exams"), ...authErrors(404) },
});

export const startAttempt = createRoute({
  operationId: "startExamAttempt",
  method: "post",
  path: "/v1/technician/training/exams/{examId}/attempts",
  tags: TAGS,
  summary: "Start an attempt: questions drawn at random, without their answers; the deadline",
  description:
    "409 EXAM_ATTEMPTS_EXHAUSTED when the exam's attempts are used up or one is still open; 409 EXAM_BANK_TOO_SMALL when the bank holds fewer questions than the exam draws.",
  security: bearer,
  middleware: [technician] as const,
  request: { params: ExamParam },
  responses: { 201: jsonContent(Attempt, "Started"), ...authErrors(404, 409) },
});

export const submitAttempt = createRoute({
  operationId: "submitExamAttempt",
  method: "post",
  path: "/v1/technician/training/attempts/{attemptId}/submission",
  tags: TAGS,
  summary: "Submit my answers: graded on the server; a pass issues a certification",
  description:
    "A question counts as right when the options chosen are exactly its right ones; the attempt passes when right × 100 ≥ passPercent × drawn. Only the first submission counts (409 EXAM_ALREADY_SUBMITTED after, also for two at once). Accepted until the deadline plus EXAM_SUBMIT_GRACE_SECONDS (default 30) of network slack; later: 409 EXAM_TIME_UP and the attempt is recorded as expired (a failed attempt). A pass issues a certification valid for the exam's `validDays`.",
  security: bearer,
  middleware: [technician] as const,
  request: { params: AttemptParam, body: jsonBody(Submission) },
  responses: { 200: jsonContent(Graded, "Graded"), ...authErrors(404, 409, 413, 415) },
});

export const myCertifications = createRoute({
  operationId: "listMyCertifications",
  method: "get",
  path: "/v1/technician/training/certifications",
  tags: TAGS,
  summary: "My certifications, newest first (`valid`: not expired)",
  description: PAGED.trim(),
  security: bearer,
  middleware: [technician] as const,
  request: { query: ListQuery },
  responses: { 200: paged(Certification, "Certifications"), ...authErrors(404) },
});
