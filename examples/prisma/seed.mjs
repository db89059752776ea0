// Creates the example's tables (schema.sql) and fills them with deterministic rows, in SQL on the
// server (generate_series), so that even 200,000 assessments take a second or two.
//   node examples/prisma/seed.mjs [assessments]    with DATABASE_URL set
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The default shape: 3 schools × 4 classes × 30 students × 25 assessments (9,000), every other student with a profile. */
export const SMALL = { schools: 3, classesPerSchool: 4, studentsPerClass: 30, assessmentsPerStudent: 25, tags: 6 }

/** Rows of about 680 bytes each in memory once Prisma has built them (measured: BENCHMARKS.md). */
export function shapeFor(assessments) {
  const perStudent = 25
  const students = Math.max(1, Math.ceil(assessments / perStudent))
  const studentsPerClass = 40
  const classes = Math.max(1, Math.ceil(students / studentsPerClass))
  return {
    schools: Math.max(1, Math.ceil(classes / 20)),
    classesPerSchool: 20,
    studentsPerClass,
    assessmentsPerStudent: perStudent,
    tags: 6,
  }
}

/** Runs schema.sql and inserts the rows through `db` (a pg Client or Pool). */
export async function seed(db, shape = SMALL) {
  const { schools, classesPerSchool, studentsPerClass, assessmentsPerStudent, tags } = shape
  const classes = schools * classesPerSchool
  const students = classes * studentsPerClass
  const assessments = students * assessmentsPerStudent
  await db.query(readFileSync(join(import.meta.dirname, 'schema.sql'), 'utf8'))
  await db.query(`INSERT INTO "School" ("name") SELECT 'School ' || i FROM generate_series(1, $1) i`, [schools])
  await db.query(
    `INSERT INTO "Class" ("name", "schoolId") SELECT 'Class ' || i, 1 + (i - 1) / $2 FROM generate_series(1, $1) i`,
    [classes, classesPerSchool],
  )
  await db.query(
    `INSERT INTO "Student" ("name", "email", "classId")
     SELECT 'Student ' || i, 'student' || i || '@school.example', 1 + (i - 1) / $2 FROM generate_series(1, $1) i`,
    [students, studentsPerClass],
  )
  await db.query(
    `INSERT INTO "Profile" ("bio", "studentId") SELECT 'Likes chemistry and long walks, student ' || i, i
     FROM generate_series(1, $1, 2) i`,
    [students],
  )
  await db.query(
    `INSERT INTO "Assessment" ("externalId", "title", "body", "score", "status", "createdAt", "updatedAt", "studentId")
     SELECT md5(i::text)::uuid::text, 'Assessment ' || i, repeat('Answer text ', 10 + i % 10), (i % 1000) / 10.0,
            (ARRAY['draft', 'graded', 'final'])[1 + i % 3],
            TIMESTAMP '2025-01-01' + i * INTERVAL '1 minute', TIMESTAMP '2025-01-02' + i * INTERVAL '1 minute',
            1 + (i - 1) / $2
     FROM generate_series(1, $1) i`,
    [assessments, assessmentsPerStudent],
  )
  await db.query(`INSERT INTO "Tag" ("name") SELECT 'tag-' || i FROM generate_series(1, $1) i`, [tags])
  await db.query(
    `INSERT INTO "_AssessmentToTag" ("A", "B")
     SELECT a, 1 + (a + k) % $2 FROM generate_series(1, $1) a, generate_series(0, 1) k`,
    [assessments, tags],
  )
  await db.query('ANALYZE')
  return { schools, classes, students, assessments, tags }
}

if (process.argv[1] === import.meta.filename) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await client.connect()
  try {
    const count = Number(process.argv[2] ?? 9000)
    console.log(await seed(client, count === 9000 ? SMALL : shapeFor(count)))
  } finally {
    await client.end()
  }
}
