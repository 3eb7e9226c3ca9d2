/** Money as the API shows it: integer minor units and an ISO 4217 code. */
export interface Money {
  amount: number;
  currency: string;
}

/** What an empty cart's total is expressed in: the store prices everything in euros today. */
export const STORE_CURRENCY = 'EUR';

/** The largest amount GraphQL's Int (and Money.amount) can carry. */
export const MAX_AMOUNT = 2_147_483_647;

export const money = (amount: number, currency: string): Money => ({ amount, currency });
