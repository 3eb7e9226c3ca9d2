-- Uploads stream their chunks outside a transaction, each under its own upload_id; the import names the one
-- that is its file. Chunks stored before this change belong to the import's only upload: give it the import's id.

-- AlterTable
ALTER TABLE "product_imports" ADD COLUMN     "upload_id" UUID;

-- AlterTable
ALTER TABLE "product_import_chunks" ADD COLUMN     "upload_id" UUID;
UPDATE "product_import_chunks" SET "upload_id" = "import_id";
UPDATE "product_imports" SET "upload_id" = "id" WHERE EXISTS (SELECT 1 FROM "product_import_chunks" c WHERE c."import_id" = "product_imports"."id");
ALTER TABLE "product_import_chunks" ALTER COLUMN "upload_id" SET NOT NULL,
DROP CONSTRAINT "product_import_chunks_pkey",
ADD CONSTRAINT "product_import_chunks_pkey" PRIMARY KEY ("import_id", "upload_id", "seq");
