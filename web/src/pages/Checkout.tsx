import { useMutation, useQuery } from '@apollo/client/react';
import { useRef, useState, type FormEvent } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Field, Loading, Price, SignInPrompt } from '../components/common.tsx';
import { getFragmentData, graphql } from '../generated/gql/index.ts';
import { fieldErrors, type FieldErrors } from '../lib/form-errors.ts';
import { currentAttemptKey, finishAttempt } from '../lib/idempotency.ts';
import { announceOrdersChanged } from '../lib/tabs.ts';
import { Link, navigate } from '../router.tsx';
import { CartContentsFragment, CartQuery } from './Cart.tsx';

const CheckoutQuery = graphql(`
  query CheckoutDetails {
    me {
      id
      name
      defaultAddress {
        id
        line1
        line2
        city
        postalCode
        country
      }
    }
  }
`);

const PlaceOrderMutation = graphql(`
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      replayed
      order {
        id
        number
        status
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

const ADDRESS_FIELDS = { name: 'Name', line1: 'Address', line2: 'Address line 2', city: 'City', postalCode: 'Postal code', country: 'Country' };
type AddressField = keyof typeof ADDRESS_FIELDS;

export function CheckoutPage() {
  const session = useSession();
  const signedIn = session.status === 'signed-in';
  const details = useQuery(CheckoutQuery, { skip: !signedIn });
  const cart = useQuery(CartQuery, { skip: !signedIn });
  const [placeOrder, { loading, error }] = useMutation(PlaceOrderMutation, { refetchQueries: ['Cart'] });
  const [errors, setErrors] = useState<FieldErrors<AddressField | 'items'>>({});
  const submitting = useRef(false);
  if (session.status === 'signed-out') return <SignInPrompt what="to check out" />;
  if (details.error) return <ErrorMessage error={details.error} />;
  if (!details.data || !cart.data) return <Loading />;
  const me = details.data.me;
  const contents = cart.data.cart ? getFragmentData(CartContentsFragment, cart.data.cart) : undefined;
  if (!contents || contents.itemCount === 0) {
    return (
      <p>
        Your cart is empty. <Link to="/">Browse products</Link>.
      </p>
    );
  }
  const address = me?.defaultAddress;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    // A second click while the first is in flight does nothing; a retry after a failure reuses the key.
    if (submitting.current) return;
    submitting.current = true;
    const form = new FormData(event.currentTarget);
    const value = (name: AddressField) => String(form.get(name) ?? '').trim();
    const line2 = value('line2');
    const idempotencyKey = currentAttemptKey(window.sessionStorage);
    try {
      const result = await placeOrder({
        variables: {
          input: {
            idempotencyKey,
            shippingAddress: { name: value('name'), line1: value('line1'), ...(line2 ? { line2 } : {}), city: value('city'), postalCode: value('postalCode'), country: value('country').toUpperCase() },
          },
        },
      });
      const payload = result.data?.placeOrder;
      if (!payload) return;
      finishAttempt(window.sessionStorage);
      setErrors(fieldErrors(payload.errors, { ...ADDRESS_FIELDS, items: 'Items' }));
      if (payload.order) {
        announceOrdersChanged();
        navigate(`/orders/${payload.order.id}`);
      }
    } finally {
      submitting.current = false;
    }
  };

  return (
    <section aria-labelledby="checkout-title">
      <h1 id="checkout-title">Checkout</h1>
      <p>
        {contents.itemCount} item{contents.itemCount === 1 ? '' : 's'}, total <Price money={contents.total} />
      </p>
      <form className="panel form" onSubmit={(event) => void submit(event)} noValidate aria-label="Shipping address">
        {errors.form || errors.items ? (
          <p className="error" role="alert">
            {[errors.items, errors.form].filter(Boolean).join(' ')}
          </p>
        ) : null}
        <AddressInput name="name" errors={errors} defaultValue={me?.name} autoComplete="name" />
        <AddressInput name="line1" errors={errors} defaultValue={address?.line1} autoComplete="address-line1" />
        <AddressInput name="line2" errors={errors} defaultValue={address?.line2 ?? ''} autoComplete="address-line2" />
        <AddressInput name="city" errors={errors} defaultValue={address?.city} autoComplete="address-level2" />
        <AddressInput name="postalCode" errors={errors} defaultValue={address?.postalCode} autoComplete="postal-code" />
        <AddressInput name="country" errors={errors} defaultValue={address?.country ?? 'DE'} autoComplete="country" />
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={loading}>
          {loading ? 'Placing your order…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}

function AddressInput({ name, errors, defaultValue, autoComplete }: { name: AddressField; errors: FieldErrors<AddressField>; defaultValue: string | undefined; autoComplete: string }) {
  const id = `address-${name}`;
  return (
    <Field id={id} label={ADDRESS_FIELDS[name]} error={errors[name]}>
      <input
        id={id}
        name={name}
        defaultValue={defaultValue}
        autoComplete={autoComplete}
        aria-invalid={Boolean(errors[name])}
        aria-describedby={errors[name] ? `${id}-error` : undefined}
      />
    </Field>
  );
}
