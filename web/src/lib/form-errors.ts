/** An InputError as every mutation answers it: the input path, a stable code, a message. */
export interface InputErrorLike {
  path: readonly string[];
  code: string;
  message: string;
}

/** Per form field, the message to show beside it; `form` holds errors that belong to no field shown. */
export type FieldErrors<Field extends string> = Partial<Record<Field | 'form', string>>;

const MESSAGES: Record<string, (label: string) => string> = {
  REQUIRED: (label) => `${label} is required.`,
  TOO_SHORT: (label) => `${label} is too short.`,
  TOO_LONG: (label) => `${label} is too long.`,
  TOO_SMALL: (label) => `${label} is too small.`,
  TOO_BIG: (label) => `${label} is too big.`,
  INVALID: (label) => `${label} is not valid.`,
  INVALID_CHARACTERS: (label) => `${label} contains characters that are not allowed.`,
  ALREADY_EXISTS: (label) => `An account with this ${label.toLowerCase()} already exists.`,
  OUT_OF_STOCK: () => 'Not enough in stock.',
  NOT_PURCHASED: () => 'You can review only what you have bought.',
  NOT_FOUND: (label) => `${label} was not found.`,
  IDEMPOTENCY_KEY_REUSED: () => 'This checkout attempt was already used for a different order; please try again.',
  INVALID_STATE: () => 'This cannot be done any more.',
};

/**
 * Maps a mutation's InputErrors onto the form's fields. The last path segment that names a field wins
 * (`["input", "shippingAddress", "postalCode"]` → postalCode); a field gets the first error about it; errors
 * about no known field go to `form`, with the server's message.
 */
export function fieldErrors<Field extends string>(errors: readonly InputErrorLike[], labels: Record<Field, string>): FieldErrors<Field> {
  const result: FieldErrors<Field> = {};
  const known = (segment: string): segment is Field => Object.hasOwn(labels, segment);
  for (const error of errors) {
    const field = [...error.path].reverse().find(known);
    if (field) {
      result[field] ??= MESSAGES[error.code]?.(labels[field]) ?? error.message;
    } else {
      const message = error.message;
      result.form = result.form ? `${result.form} ${message}` : message;
    }
  }
  return result;
}

export function hasErrors(errors: FieldErrors<string>): boolean {
  return Object.values(errors).some(Boolean);
}
