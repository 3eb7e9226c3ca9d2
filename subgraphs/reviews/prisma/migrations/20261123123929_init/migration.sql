-- CreateTable
CREATE TABLE "reviews" (
    "id" UUID NOT NULL,
    "purchasable_id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "author_name" TEXT NOT NULL,
    "rating" SMALLINT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "order_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rating_summaries" (
    "purchasable_id" UUID NOT NULL,
    "review_count" INTEGER NOT NULL,
    "rating_sum" INTEGER NOT NULL,

    CONSTRAINT "rating_summaries_pkey" PRIMARY KEY ("purchasable_id")
);

-- CreateTable
CREATE TABLE "purchases" (
    "user_id" UUID NOT NULL,
    "purchasable_id" UUID NOT NULL,
    "first_order_id" UUID NOT NULL,
    "purchased_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "purchases_pkey" PRIMARY KEY ("user_id","purchasable_id")
);

-- CreateTable
CREATE TABLE "authors" (
    "user_id" UUID NOT NULL,
    "display_name" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "authors_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "reviews_purchasable_id_created_at_id_idx" ON "reviews"("purchasable_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_highest_rated_idx" ON "reviews"("purchasable_id", "rating" DESC, "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_lowest_rated_idx" ON "reviews"("purchasable_id", "rating", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "reviews_author_id_created_at_id_idx" ON "reviews"("author_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "reviews_author_id_purchasable_id_key" ON "reviews"("author_id", "purchasable_id");
