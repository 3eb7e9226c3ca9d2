import { badUserInput } from '@storefront/api-conventions';
import { z } from 'zod';

/*
 * The shipping tariff: a pure function of the product's weight, shipping class and price and the destination
 * country. Every amount is in euro cents (the store ships from euro warehouses and bills shipping in EUR).
 *
 * Zones: DOMESTIC (Germany, where the main warehouse is), EU (the other 26 member states), WORLD (the rest).
 *
 *                        DOMESTIC   EU        WORLD
 *   base (first 2 kg)    €4.95      €9.95     €19.95
 *   each further kg      €0.50      €1.00     €3.00     (started kilograms)
 *   BULKY surcharge      €25.00     €45.00    €99.00    (freight carrier instead of parcel)
 *   FRAGILE surcharge    €3.00      €3.00     €3.00     (padding and handling)
 *   days (parcel)        1–2        2–5       5–10
 *   days (BULKY)         3–5        5–8       10–20     (freight)
 *   FRAGILE              one more day at most (handled separately)
 *
 * Free shipping: STANDARD (not bulky, not fragile) parcels within Germany when the product costs €50.00 or
 * more (in EUR; a price in another currency never qualifies, since the threshold is in euros).
 */

export type ShippingZone = 'DOMESTIC' | 'EU' | 'WORLD';
export const SHIPPING_CLASSES = ['STANDARD', 'BULKY', 'FRAGILE'] as const;
export type ShippingClass = (typeof SHIPPING_CLASSES)[number];

export interface ShippingEstimate {
  cost: { amount: number; currency: 'EUR' };
  carrier: string;
  minDays: number;
  maxDays: number;
}

/** What the tariff needs to know about a product: the fields the router sends for `@requires`. */
export interface ShippedProduct {
  weightGrams: number;
  shippingClass: ShippingClass;
  price: { amount: number; currency: string };
}

const HOME_COUNTRY = 'DE';
const FREE_SHIPPING_FROM_CENTS = 5_000;
const INCLUDED_GRAMS = 2_000;

const EU_COUNTRIES = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV',
  'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

/** Every officially assigned ISO 3166-1 alpha-2 code. */
const ISO_COUNTRIES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY ' +
    'BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK ' +
    'FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR ' +
    'IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ' +
    'ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
    'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF ' +
    'TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

interface ZoneTariff {
  baseCents: number;
  perExtraKgCents: number;
  bulkySurchargeCents: number;
  parcel: { carrier: string; minDays: number; maxDays: number };
  freight: { carrier: string; minDays: number; maxDays: number };
}

const FRAGILE_SURCHARGE_CENTS = 300;

const TARIFFS: Record<ShippingZone, ZoneTariff> = {
  DOMESTIC: {
    baseCents: 495,
    perExtraKgCents: 50,
    bulkySurchargeCents: 2_500,
    parcel: { carrier: 'DHL Paket', minDays: 1, maxDays: 2 },
    freight: { carrier: 'DB Schenker', minDays: 3, maxDays: 5 },
  },
  EU: {
    baseCents: 995,
    perExtraKgCents: 100,
    bulkySurchargeCents: 4_500,
    parcel: { carrier: 'DPD Europe', minDays: 2, maxDays: 5 },
    freight: { carrier: 'DB Schenker', minDays: 5, maxDays: 8 },
  },
  WORLD: {
    baseCents: 1_995,
    perExtraKgCents: 300,
    bulkySurchargeCents: 9_900,
    parcel: { carrier: 'UPS Worldwide', minDays: 5, maxDays: 10 },
    freight: { carrier: 'Kuehne+Nagel', minDays: 10, maxDays: 20 },
  },
};

/**
 * The destination as an ISO 3166-1 alpha-2 code (case-insensitive), or a BAD_USER_INPUT error naming the
 * `country` argument.
 */
export function parseCountry(raw: string): string {
  const code = raw.trim().toUpperCase();
  if (!ISO_COUNTRIES.has(code)) throw badUserInput(`"${raw}" is not an ISO 3166-1 alpha-2 country code`, 'country');
  return code;
}

export function zoneOf(country: string): ShippingZone {
  if (country === HOME_COUNTRY) return 'DOMESTIC';
  return EU_COUNTRIES.has(country) ? 'EU' : 'WORLD';
}

/** What shipping one unit of `product` to `country` (a valid, upper-case ISO code) costs and takes. */
export function estimateShipping(product: ShippedProduct, country: string): ShippingEstimate {
  const zone = zoneOf(country);
  const tariff = TARIFFS[zone];
  const bulky = product.shippingClass === 'BULKY';
  const fragile = product.shippingClass === 'FRAGILE';
  const service = bulky ? tariff.freight : tariff.parcel;

  const free =
    zone === 'DOMESTIC' &&
    product.shippingClass === 'STANDARD' &&
    product.price.currency === 'EUR' &&
    product.price.amount >= FREE_SHIPPING_FROM_CENTS;
  const extraKg = Math.ceil(Math.max(0, product.weightGrams - INCLUDED_GRAMS) / 1_000);
  const amount = free
    ? 0
    : tariff.baseCents +
      extraKg * tariff.perExtraKgCents +
      (bulky ? tariff.bulkySurchargeCents : 0) +
      (fragile ? FRAGILE_SURCHARGE_CENTS : 0);

  return {
    cost: { amount, currency: 'EUR' },
    carrier: service.carrier,
    minDays: service.minDays,
    maxDays: service.maxDays + (fragile ? 1 : 0),
  };
}

/**
 * The `@requires` fields as the router sends them in a Product representation. Catalog guarantees them, so a
 * representation without them is a broken router or catalog, not a client mistake: it fails loudly.
 */
const shippedProductSchema = z.object({
  weightGrams: z.number().int().min(0),
  shippingClass: z.enum(SHIPPING_CLASSES),
  price: z.object({ amount: z.number().int().min(0), currency: z.string().length(3) }),
});

export function shippedProductOf(representation: unknown): ShippedProduct {
  const parsed = shippedProductSchema.safeParse(representation);
  if (!parsed.success) {
    throw new Error(`Product representation lacks the @requires fields for shippingEstimate: ${parsed.error.message}`);
  }
  return parsed.data;
}
