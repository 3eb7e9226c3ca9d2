import { ConfigError } from '@storefront/config';
import { DEFAULT_PAYMENTS_SETTINGS, loadPaymentsSettings } from './payments-settings.ts';

describe('loadPaymentsSettings', () => {
  it('declines and times out nothing at random by default', () => {
    expect(loadPaymentsSettings({})).toEqual(DEFAULT_PAYMENTS_SETTINGS);
    expect(DEFAULT_PAYMENTS_SETTINGS.simulator).toMatchObject({ declineRate: 0, timeoutRate: 0 });
  });

  it('reads every variable', () => {
    expect(
      loadPaymentsSettings({
        PAYMENTS_DECLINE_RATE: '0.1',
        PAYMENTS_TIMEOUT_RATE: '0.05',
        PAYMENTS_PROVIDER_LATENCY_MS: '120',
        PAYMENTS_PROVIDER_HANG_MS: '9000',
        PAYMENTS_PROVIDER_TIMEOUT_MS: '2500',
        PAYMENTS_AMOUNT_LIMIT: '100000',
        PAYMENTS_MAGIC_AMOUNTS: 'false',
      }),
    ).toEqual({
      simulator: { declineRate: 0.1, timeoutRate: 0.05, latencyMs: 120, hangMs: 9_000, amountLimitCents: 100_000, magicAmounts: false },
      providerTimeoutMs: 2_500,
    });
  });

  it('refuses impossible values, listing each', () => {
    let error: unknown;
    try {
      loadPaymentsSettings({ PAYMENTS_DECLINE_RATE: '5', PAYMENTS_PROVIDER_LATENCY_MS: '-1', PAYMENTS_PROVIDER_TIMEOUT_MS: '0', PAYMENTS_AMOUNT_LIMIT: 'lots' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.split(':')[0])).toEqual([
      'PAYMENTS_DECLINE_RATE',
      'PAYMENTS_PROVIDER_LATENCY_MS',
      'PAYMENTS_PROVIDER_TIMEOUT_MS',
      'PAYMENTS_AMOUNT_LIMIT',
    ]);
  });
});
