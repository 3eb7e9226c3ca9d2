-- CreateTable
CREATE TABLE "review_ratings" (
    "review_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "rating" SMALLINT NOT NULL,
    "counted" BOOLEAN NOT NULL,
    "removed_at" TIMESTAMPTZ(3),

    CONSTRAINT "review_ratings_pkey" PRIMARY KEY ("review_id")
);
