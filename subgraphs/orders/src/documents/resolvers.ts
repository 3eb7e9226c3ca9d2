import { badUserInput, isUuid, parsePage, toConnection, type PageArgs } from '@storefront/api-conventions';
import { requireAdmin, requireOwnerOrAdmin } from '@storefront/identity';
import type { Order } from '../database.ts';
import type { OrdersContext } from '../resolvers.ts';
import { invoicePublicPath, reportPublicPath, signedDownloadUrl } from './files.ts';
import {
  findSalesReport,
  listSalesReports,
  reportPosition,
  reportPositionOf,
  requestSalesReport,
  type SalesReportSummary,
} from './sales-reports.ts';

/*
 * The documents' part of orders' resolver map; src/resolvers.ts spreads each group into its type. Admin
 * fields check the viewer here too (the router's @requiresScopes is the first gate, not the only one).
 */

export const documentQueryResolvers = {
  salesReport(_: unknown, { id }: { id: string }, { prisma, viewer }: OrdersContext) {
    requireAdmin(viewer);
    if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
    return findSalesReport(prisma, id);
  },
  async salesReports(_: unknown, args: PageArgs, { prisma, viewer }: OrdersContext) {
    requireAdmin(viewer);
    const page = parsePage(args, reportPosition);
    return toConnection(await listSalesReports(prisma, page), page, reportPositionOf);
  },
};

export const documentMutationResolvers = {
  requestSalesReport(_: unknown, { input }: { input: unknown }, { prisma, viewer, documents }: OrdersContext) {
    return requestSalesReport(prisma, documents.jobs, requireAdmin(viewer).userId, input);
  },
};

export const documentOrderResolvers = {
  // Order is already its owner's or an admin's; checked again because this field hands out a download link.
  async invoice(order: Order, _: unknown, { viewer, documents }: OrdersContext) {
    requireOwnerOrAdmin(viewer, order.userId);
    const invoice = await documents.invoiceOfOrder.load(order.id);
    if (!invoice) return null;
    return { number: invoice.number, issuedAt: invoice.createdAt, url: signedDownloadUrl(documents.signing, invoicePublicPath(order.id)) };
  },
};

export const documentTypeResolvers = {
  SalesReport: {
    requestedBy: (report: SalesReportSummary) => ({ id: report.requestedBy }),
    url: (report: SalesReportSummary, _: unknown, { documents }: OrdersContext) =>
      report.status === 'READY' ? signedDownloadUrl(documents.signing, reportPublicPath(report.id)) : null,
  },
};
