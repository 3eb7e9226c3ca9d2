-- AlterTable
ALTER TABLE "deliveries" ADD COLUMN     "send_claim" UUID,
ADD COLUMN     "sending_since" TIMESTAMPTZ(3);
