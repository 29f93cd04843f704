import { authOf } from "../http/auth";
import { rangedFileResponse } from "../http/byte-range";
import { createRouter } from "../http/openapi";
import * as routes from "./training.routes";
import * as training from "./training.service";

export default createRouter()
  .openapi(routes.createCourse, async (c) => c.json(await training.createCourse(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listCourses, async (c) => c.json(await training.courses(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.getCourse, async (c) => c.json(await training.course(c.env, authOf(c), c.req.valid("param").courseId), 200))
  .openapi(routes.patchCourse, async (c) =>
    c.json(await training.changeCourse(c.env, authOf(c), c.req.valid("param").courseId, c.req.valid("json")), 200),
  )
  .openapi(routes.addLesson, async (c) =>
    c.json(await training.addLesson(c.env, authOf(c), c.req.valid("param").courseId, c.req.valid("json")), 201),
  )
  .openapi(routes.patchLesson, async (c) => {
    const { courseId, lessonId } = c.req.valid("param");
    return c.json(await training.changeLesson(c.env, authOf(c), courseId, lessonId, c.req.valid("json")), 200);
  })
  .openapi(routes.uploadMedia, async (c) => {
    const { courseId, lessonId } = c.req.valid("param");
    const lesson = await training.uploadLessonMedia(
      c.env,
      authOf(c),
      courseId,
      lessonId,
      c.req.header("Content-Type"),
      await c.req.arrayBuffer(),
    );
    return c.json(lesson, 200);
  })
  .openapi(routes.getMedia, async (c) => {
    const { courseId, lessonId } = c.req.valid("param");
    const file = await training.lessonMedia(c.env, authOf(c), courseId, lessonId, c.req.header("Range"));
    return rangedFileResponse(file, "private, max-age=3600");
  })
  .openapi(routes.createBank, async (c) => c.json(await training.createBank(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listBanks, async (c) => c.json(await training.banks(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.getBank, async (c) => c.json(await training.bank(c.env, authOf(c), c.req.valid("param").bankId), 200))
  .openapi(routes.addQuestion, async (c) =>
    c.json(await training.addQuestion(c.env, authOf(c), c.req.valid("param").bankId, c.req.valid("json")), 201),
  )
  .openapi(routes.deleteQuestion, async (c) => {
    const { bankId, questionId } = c.req.valid("param");
    await training.removeQuestion(c.env, authOf(c), bankId, questionId);
    return c.body(null, 204);
  })
  .openapi(routes.createExam, async (c) => c.json(await training.createExam(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listExams, async (c) => c.json(await training.exams(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.patchExam, async (c) =>
    c.json(await training.changeExam(c.env, authOf(c), c.req.valid("param").examId, c.req.valid("json")), 200),
  )
  .openapi(routes.overview, async (c) => c.json(await training.trainingOverview(c.env, authOf(c)), 200))
  .openapi(routes.listRequirements, async (c) => c.json(await training.skillRequirementList(c.env), 200))
  .openapi(routes.setRequirement, async (c) =>
    c.json(await training.setSkillRequirement(c.env, authOf(c), c.req.valid("param").code, c.req.valid("json").required), 200),
  )
  .openapi(routes.myCourses, async (c) => c.json(await training.myCourses(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.myCourse, async (c) => c.json(await training.myCourse(c.env, authOf(c), c.req.valid("param").courseId), 200))
  .openapi(routes.enroll, async (c) => c.json(await training.enrollIn(c.env, authOf(c), c.req.valid("param").courseId), 200))
  .openapi(routes.completeLesson, async (c) => {
    const { courseId, lessonId } = c.req.valid("param");
    return c.json(await training.completeLesson(c.env, authOf(c), courseId, lessonId), 200);
  })
  .openapi(routes.myExams, async (c) => c.json(await training.myExams(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.startAttempt, async (c) => c.json(await training.startAttempt(c.env, authOf(c), c.req.valid("param").examId), 201))
  .openapi(routes.submitAttempt, async (c) =>
    c.json(await training.submitAttempt(c.env, authOf(c), c.req.valid("param").attemptId, c.req.valid("json").answers), 200),
  )
  .openapi(routes.myCertifications, async (c) => c.json(await training.myCertifications(c.env, authOf(c), c.req.valid("query")), 200));
