import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';

/** What an invoice shows; amounts in minor units, as the orders database stores them. */
export interface InvoiceContent {
  number: string;
  issuedAt: Date;
  orderNumber: string;
  placedAt: Date;
  buyerId: string;
  shipTo: readonly string[];
  currency: string;
  lines: ReadonlyArray<{ description: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
}

const A4 = { width: 595.28, height: 841.89 } as const;
const MARGIN = 50;
const LINE_HEIGHT = 16;
const COLUMNS = { item: MARGIN, quantity: 330, unitPrice: 400, lineTotal: 480 } as const;

/** Minor units as a decimal string with the currency's own number of decimals (2 for EUR, 0 for JPY). */
export function formatAmount(minorUnits: number, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const sign = minorUnits < 0 ? '-' : '';
  const units = Math.abs(minorUnits);
  const scale = 10 ** digits;
  const whole = Math.floor(units / scale);
  return digits === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(units % scale).padStart(digits, '0')}`;
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The standard PDF fonts only encode WinAnsi: anything else (a Cyrillic name in the address) would make
 * pdf-lib throw, so it is shown as '?'. Embedding a Unicode font would need a font file shipped with the
 * service; addresses are the only free text here.
 */
export function winAnsiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

/** Renders the invoice as a one- or multi-page A4 PDF. Deterministic but for pdf-lib's creation timestamp. */
export async function renderInvoicePdf(invoice: InvoiceContent): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Invoice ${invoice.number}`);
  pdf.setSubject(`Order ${invoice.orderNumber}`);
  pdf.setCreator('storefront orders');
  pdf.setCreationDate(invoice.issuedAt);
  pdf.setModificationDate(invoice.issuedAt);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);

  let page: PDFPage = pdf.addPage([A4.width, A4.height]);
  let y = A4.height - MARGIN;
  const write = (text: string, x: number, font: PDFFont = regular, size = 10) => page.drawText(winAnsiSafe(text), { x, y, size, font, color: rgb(0, 0, 0) });
  const writeRight = (text: string, right: number, font: PDFFont = regular, size = 10) =>
    write(text, right - font.widthOfTextAtSize(winAnsiSafe(text), size), font, size);
  const newline = (times = 1) => {
    y -= LINE_HEIGHT * times;
  };
  const tableHeader = () => {
    write('Item', COLUMNS.item, bold);
    writeRight('Qty', COLUMNS.quantity + 40, bold);
    writeRight('Unit price', COLUMNS.unitPrice + 60, bold);
    writeRight('Line total', A4.width - MARGIN, bold);
    newline();
  };

  write('INVOICE', MARGIN, bold, 20);
  newline(2);
  write(`Invoice number: ${invoice.number}`, MARGIN, bold, 11);
  newline();
  write(`Issue date: ${isoDate(invoice.issuedAt)}`, MARGIN);
  newline();
  write(`Order: ${invoice.orderNumber} (placed ${isoDate(invoice.placedAt)})`, MARGIN);
  newline();
  write(`Buyer: ${invoice.buyerId}`, MARGIN);
  newline(2);
  write('Ship to', MARGIN, bold);
  newline();
  for (const line of invoice.shipTo) {
    write(line, MARGIN);
    newline();
  }
  newline();
  write(`Amounts in ${invoice.currency}`, MARGIN, regular, 9);
  newline();
  tableHeader();

  for (const [index, line] of invoice.lines.entries()) {
    if (y < MARGIN + 3 * LINE_HEIGHT) {
      page = pdf.addPage([A4.width, A4.height]);
      y = A4.height - MARGIN;
      write(`Invoice ${invoice.number} (continued)`, MARGIN, bold);
      newline(2);
      tableHeader();
    }
    write(`${index + 1}. ${line.description}`, COLUMNS.item, regular, 9);
    writeRight(String(line.quantity), COLUMNS.quantity + 40);
    writeRight(formatAmount(line.unitPriceCents, invoice.currency), COLUMNS.unitPrice + 60);
    writeRight(formatAmount(line.unitPriceCents * line.quantity, invoice.currency), A4.width - MARGIN);
    newline();
  }
  newline();
  writeRight(`Total: ${formatAmount(invoice.totalCents, invoice.currency)} ${invoice.currency}`, A4.width - MARGIN, bold, 12);
  return pdf.save();
}
