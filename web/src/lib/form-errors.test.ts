import { fieldErrors, hasErrors } from './form-errors.ts';

const LABELS = { name: 'Name', postalCode: 'Postal code', country: 'Country' };

describe('form errors from InputErrors', () => {
  it('puts each error at the field its path ends in, in words from its code', () => {
    const errors = fieldErrors(
      [
        { path: ['input', 'shippingAddress', 'postalCode'], code: 'REQUIRED', message: 'Required' },
        { path: ['input', 'shippingAddress', 'country'], code: 'INVALID', message: 'Unknown country' },
        { path: ['input', 'shippingAddress', 'country'], code: 'TOO_LONG', message: 'second error, same field' },
      ],
      LABELS,
    );
    expect(errors).toEqual({ postalCode: 'Postal code is required.', country: 'Country is not valid.' });
    expect(hasErrors(errors)).toBe(true);
  });

  it('shows errors about no field of the form with the server message', () => {
    expect(fieldErrors([{ path: ['input', 'items'], code: 'OUT_OF_STOCK', message: 'Only 2 left of Lamp' }], LABELS)).toEqual({ form: 'Only 2 left of Lamp' });
    expect(hasErrors(fieldErrors([], LABELS))).toBe(false);
  });
});
