import { envBoolean, loadConfig } from '@storefront/config';
import { z } from 'zod';
import { DEFAULT_SIMULATOR_SETTINGS, type SimulatorSettings } from './simulated-provider.ts';

/** How the payments service talks to its provider: the simulator's behaviour and how long we wait for it. */
export interface PaymentsSettings {
  simulator: SimulatorSettings;
  /** The deadline of every provider request; past it the outcome is unknown and a retry asks again. */
  providerTimeoutMs: number;
}

export const DEFAULT_PAYMENTS_SETTINGS: PaymentsSettings = { simulator: DEFAULT_SIMULATOR_SETTINGS, providerTimeoutMs: 5_000 };

const fraction = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);
const milliseconds = (fallback: number, max: number) => z.coerce.number().int().min(0).max(max).default(fallback);

/**
 * Reads the provider settings once at start-up; a typo (a rate of 5, a negative latency) stops the process
 * with every problem listed instead of surfacing at the first payment. Nothing declines at random by default.
 */
export function loadPaymentsSettings(env: NodeJS.ProcessEnv = process.env): PaymentsSettings {
  const defaults = DEFAULT_PAYMENTS_SETTINGS.simulator;
  const schema = z.object({
    PAYMENTS_DECLINE_RATE: fraction(defaults.declineRate),
    PAYMENTS_TIMEOUT_RATE: fraction(defaults.timeoutRate),
    PAYMENTS_PROVIDER_LATENCY_MS: milliseconds(defaults.latencyMs, 60_000),
    PAYMENTS_PROVIDER_HANG_MS: milliseconds(defaults.hangMs, 600_000),
    PAYMENTS_PROVIDER_TIMEOUT_MS: milliseconds(DEFAULT_PAYMENTS_SETTINGS.providerTimeoutMs, 120_000).refine((ms) => ms > 0, 'must be positive'),
    PAYMENTS_AMOUNT_LIMIT: z.coerce.number().int().positive().default(defaults.amountLimitCents),
    PAYMENTS_MAGIC_AMOUNTS: envBoolean(defaults.magicAmounts),
  });
  const parsed = loadConfig('payments', schema, env);
  return {
    simulator: {
      declineRate: parsed.PAYMENTS_DECLINE_RATE,
      timeoutRate: parsed.PAYMENTS_TIMEOUT_RATE,
      latencyMs: parsed.PAYMENTS_PROVIDER_LATENCY_MS,
      hangMs: parsed.PAYMENTS_PROVIDER_HANG_MS,
      amountLimitCents: parsed.PAYMENTS_AMOUNT_LIMIT,
      magicAmounts: parsed.PAYMENTS_MAGIC_AMOUNTS,
    },
    providerTimeoutMs: parsed.PAYMENTS_PROVIDER_TIMEOUT_MS,
  };
}
