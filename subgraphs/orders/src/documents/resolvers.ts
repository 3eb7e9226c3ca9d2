import { badUserInput, isUuid, parsePage, toConnection } from '@storefront/api-conventions';
import { requireAdmin, requireOwnerOrAdmin } from '@storefront/identity';
import type { MutationResolvers, OrderResolvers, QueryResolvers, Resolvers } from '../generated/resolvers-types.ts';
import { invoicePublicPath, reportPublicPath, signedDownloadUrl } from './files.ts';
import {
  findSalesReport,
  listSalesReports,
  reportPosition,
  reportPositionOf,
  requestSalesReport,
} from './sales-reports.ts';

/*
 * The documents' part of orders' resolver map; src/resolvers.ts spreads each group into its type. Admin
 * fields check the viewer here too (the router's @requiresScopes is the first gate, not the only one).
 */

export const documentQueryResolvers = {
  salesReport(_, { id }, { prisma, viewer }) {
    requireAdmin(viewer);
    if (!isUuid(id)) throw badUserInput('id is not a valid id', 'id');
    return findSalesReport(prisma, id);
  },
  async salesReports(_, args, { prisma, viewer }) {
    requireAdmin(viewer);
    const page = parsePage(args, reportPosition);
    return toConnection(await listSalesReports(prisma, page), page, reportPositionOf);
  },
} satisfies QueryResolvers;

export const documentMutationResolvers = {
  requestSalesReport(_, { input }, { prisma, viewer, documents }) {
    return requestSalesReport(prisma, documents.jobs, requireAdmin(viewer).userId, input);
  },
} satisfies MutationResolvers;

export const documentOrderResolvers = {
  // Order is already its owner's or an admin's; checked again because this field hands out a download link.
  async invoice(order, _, { viewer, documents }) {
    requireOwnerOrAdmin(viewer, order.userId);
    const invoice = await documents.invoiceOfOrder.load(order.id);
    if (!invoice) return null;
    return { number: invoice.number, issuedAt: invoice.createdAt, url: signedDownloadUrl(documents.signing, invoicePublicPath(order.id)) };
  },
} satisfies OrderResolvers;

export const documentTypeResolvers = {
  SalesReport: {
    requestedBy: (report) => ({ id: report.requestedBy }),
    url: (report, _, { documents }) =>
      report.status === 'READY' ? signedDownloadUrl(documents.signing, reportPublicPath(report.id)) : null,
  },
} satisfies Resolvers;
