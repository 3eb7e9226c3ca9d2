-- CreateEnum
CREATE TYPE "saga_state" AS ENUM ('RESERVING_STOCK', 'AUTHORIZING_PAYMENT', 'COMMITTING_STOCK', 'CAPTURING_PAYMENT', 'COMPLETED', 'COMPENSATING', 'COMPENSATED');

-- AlterTable
ALTER TABLE "outbox_events" ADD COLUMN     "trace_context" TEXT;

-- CreateTable
CREATE TABLE "processed_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "order_sagas" (
    "order_id" UUID NOT NULL,
    "state" "saga_state" NOT NULL,
    "failure_reason" "cancel_reason",
    "stock_reserved" BOOLEAN NOT NULL DEFAULT false,
    "payment_authorized" BOOLEAN NOT NULL DEFAULT false,
    "awaiting_stock_release" BOOLEAN NOT NULL DEFAULT false,
    "awaiting_payment_void" BOOLEAN NOT NULL DEFAULT false,
    "deadline_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "order_sagas_pkey" PRIMARY KEY ("order_id")
);

-- CreateIndex
CREATE INDEX "order_sagas_state_deadline_at_idx" ON "order_sagas"("state", "deadline_at");

-- AddForeignKey
ALTER TABLE "order_sagas" ADD CONSTRAINT "order_sagas_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;
