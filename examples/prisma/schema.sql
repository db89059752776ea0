-- The tables of schema.prisma, as `prisma migrate` would create them (PostgreSQL).
CREATE TABLE "School" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL
);
CREATE TABLE "Class" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL,
  "schoolId" INTEGER NOT NULL REFERENCES "School"("id")
);
CREATE INDEX "Class_schoolId_idx" ON "Class"("schoolId");
CREATE TABLE "Student" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL,
  "email" TEXT NOT NULL UNIQUE,
  "classId" INTEGER NOT NULL REFERENCES "Class"("id")
);
CREATE INDEX "Student_classId_idx" ON "Student"("classId");
CREATE TABLE "Profile" (
  "id" SERIAL PRIMARY KEY,
  "bio" TEXT NOT NULL,
  "studentId" INTEGER NOT NULL UNIQUE REFERENCES "Student"("id")
);
CREATE TABLE "Assessment" (
  "id" SERIAL PRIMARY KEY,
  "externalId" TEXT NOT NULL,
  "title" TEXT NOT NULL,
  "body" TEXT NOT NULL,
  "score" DOUBLE PRECISION NOT NULL,
  "status" TEXT NOT NULL,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "studentId" INTEGER NOT NULL REFERENCES "Student"("id")
);
CREATE INDEX "Assessment_studentId_idx" ON "Assessment"("studentId");
CREATE TABLE "Tag" (
  "id" SERIAL PRIMARY KEY,
  "name" TEXT NOT NULL UNIQUE
);
-- Prisma's implicit many-to-many table: "A" is the Assessment, "B" the Tag.
CREATE TABLE "_AssessmentToTag" (
  "A" INTEGER NOT NULL REFERENCES "Assessment"("id") ON DELETE CASCADE,
  "B" INTEGER NOT NULL REFERENCES "Tag"("id") ON DELETE CASCADE,
  CONSTRAINT "_AssessmentToTag_AB_pkey" PRIMARY KEY ("A", "B")
);
CREATE INDEX "_AssessmentToTag_B_index" ON "_AssessmentToTag"("B");
