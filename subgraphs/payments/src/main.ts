import { payments } from './index.ts';
import { loadPaymentsSettings } from './payments-settings.ts';

payments.main(() => ({ settings: loadPaymentsSettings() }));
