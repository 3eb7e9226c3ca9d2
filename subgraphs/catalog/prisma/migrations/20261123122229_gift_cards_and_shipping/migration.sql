-- AlterTable (existing rows get a placeholder weight and class, then new rows must state theirs)
ALTER TABLE "products" ADD COLUMN     "in_stock" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "shipping_class" TEXT NOT NULL DEFAULT 'STANDARD',
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "weight_grams" INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE "products" ALTER COLUMN "shipping_class" DROP DEFAULT,
ALTER COLUMN "weight_grams" DROP DEFAULT;

-- CreateTable
CREATE TABLE "gift_cards" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gift_cards_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "gift_cards_price_cents_id_idx" ON "gift_cards"("price_cents", "id");

-- CreateIndex
CREATE INDEX "products_price_cents_id_idx" ON "products"("price_cents", "id");

-- CreateIndex
CREATE INDEX "products_name_id_idx" ON "products"("name", "id");
