import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { CANCEL_REASONS, ErrorMessage, Field, formatDate, Loading, Price, sameOriginUrl, SignInPrompt, STATUS_LABELS, Unavailable } from '../components/common.tsx';
import { getFragmentData, graphql, type FragmentType } from '../generated/gql/index.ts';
import { fieldErrors, type FieldErrors } from '../lib/form-errors.ts';
import { onOrdersChanged } from '../lib/tabs.ts';
import { Link } from '../router.tsx';

export const OrderSummaryFragment = graphql(`
  fragment OrderSummary_order on Order {
    id
    number
    status
    cancelReason
    placedAt
    itemCount
    total {
      amount
      currency
    }
    invoice {
      number
      url
    }
  }
`);

const AccountQuery = graphql(`
  query Account($after: String) {
    me {
      id
      name
      email
      orders(first: 10, after: $after) {
        edges {
          cursor
          node {
            id
            ...OrderSummary_order
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      addresses(first: 20) {
        edges {
          node {
            id
            label
            line1
            line2
            city
            postalCode
            country
            isDefault
          }
        }
      }
    }
  }
`);

const AddAddressMutation = graphql(`
  mutation AddAddress($input: AddressInput!) {
    addAddress(input: $input) {
      address {
        id
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

const RemoveAddressMutation = graphql(`
  mutation RemoveAddress($id: ID!) {
    removeAddress(id: $id) {
      errors {
        path
        code
        message
      }
    }
  }
`);

export function AccountPage() {
  const session = useSession();
  const { data, error, loading, fetchMore, refetch } = useQuery(AccountQuery, { skip: session.status !== 'signed-in', fetchPolicy: 'cache-and-network' });
  // Another tab placed or settled an order: show it.
  useEffect(() => onOrdersChanged(() => void refetch()), [refetch]);
  if (session.status === 'signed-out') return <SignInPrompt what="to see your account" />;
  if (error && !data) return <ErrorMessage error={error} />;
  if (!data?.me) return <Loading />;
  const me = data.me;
  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Hello, {me.name}</h1>
      <p className="muted">{me.email}</p>
      <p>
        <Link to="/notifications">Notifications</Link>
      </p>
      <h2>Your orders</h2>
      {!me.orders ? <Unavailable what="Your orders" /> : null}
      {me.orders?.edges.length === 0 ? <p>No orders yet.</p> : null}
      <ul className="orders" data-testid="order-list">
        {me.orders?.edges.map(({ node }) => (
          <OrderSummary key={node.id} order={node} />
        ))}
      </ul>
      {me.orders?.pageInfo.hasNextPage ? (
        <button type="button" disabled={loading} onClick={() => void fetchMore({ variables: { after: me.orders?.pageInfo.endCursor } })}>
          Older orders
        </button>
      ) : null}
      <Addresses addresses={me.addresses?.edges.map(({ node }) => node) ?? []} />
    </section>
  );
}

function OrderSummary(props: { order: FragmentType<typeof OrderSummaryFragment> }) {
  const order = getFragmentData(OrderSummaryFragment, props.order);
  return (
    <li className="order-row">
      <Link to={`/orders/${order.id}`}>Order {order.number}</Link>
      <span>{formatDate(order.placedAt)}</span>
      <span className={`status status-${order.status.toLowerCase()}`}>{STATUS_LABELS[order.status] ?? order.status}</span>
      <Price money={order.total} />
      {order.status === 'CANCELLED' && order.cancelReason ? <span className="muted">{CANCEL_REASONS[order.cancelReason]}</span> : null}
      {order.invoice ? <a href={sameOriginUrl(order.invoice.url)}>Invoice {order.invoice.number}</a> : null}
    </li>
  );
}

interface AddressRow {
  id: string;
  label: string;
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
  isDefault: boolean;
}

const ADDRESS_FIELDS = { label: 'Label', line1: 'Address', line2: 'Address line 2', city: 'City', postalCode: 'Postal code', country: 'Country' };
type AddressField = keyof typeof ADDRESS_FIELDS;

function Addresses({ addresses }: { addresses: AddressRow[] }) {
  const [add, adding] = useMutation(AddAddressMutation, { refetchQueries: ['Account'] });
  const [remove, removing] = useMutation(RemoveAddressMutation, { refetchQueries: ['Account'] });
  const [errors, setErrors] = useState<FieldErrors<AddressField>>({});
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const value = (name: AddressField) => String(form.get(name) ?? '').trim();
    const line2 = value('line2');
    const result = await add({
      variables: {
        input: {
          label: value('label'),
          line1: value('line1'),
          ...(line2 ? { line2 } : {}),
          city: value('city'),
          postalCode: value('postalCode'),
          country: value('country').toUpperCase(),
          makeDefault: form.get('makeDefault') === 'on',
        },
      },
    });
    const payload = result.data?.addAddress;
    if (!payload) return;
    setErrors(fieldErrors(payload.errors, ADDRESS_FIELDS));
    if (payload.address) formElement.reset();
  };
  return (
    <section aria-labelledby="addresses-title">
      <h2 id="addresses-title">Addresses</h2>
      <ul className="addresses">
        {addresses.map((address) => (
          <li key={address.id} className="panel">
            <strong>{address.label}</strong>
            {address.isDefault ? <span className="badge badge-in">Default</span> : null}
            <br />
            {address.line1}
            {address.line2 ? `, ${address.line2}` : ''}, {address.postalCode} {address.city}, {address.country}
            <br />
            <button type="button" className="link" disabled={removing.loading} onClick={() => void remove({ variables: { id: address.id } })}>
              Remove {address.label}
            </button>
          </li>
        ))}
      </ul>
      <form className="panel form" onSubmit={(event) => void submit(event)} noValidate aria-label="Add an address">
        <h3>Add an address</h3>
        {errors.form ? (
          <p className="error" role="alert">
            {errors.form}
          </p>
        ) : null}
        {(Object.keys(ADDRESS_FIELDS) as AddressField[]).map((name) => (
          <Field key={name} id={`new-address-${name}`} label={ADDRESS_FIELDS[name]} error={errors[name]}>
            <input
              id={`new-address-${name}`}
              name={name}
              aria-invalid={Boolean(errors[name])}
              aria-describedby={errors[name] ? `new-address-${name}-error` : undefined}
              defaultValue={name === 'country' ? 'DE' : undefined}
            />
          </Field>
        ))}
        <label className="checkbox">
          <input type="checkbox" name="makeDefault" /> Make this my default address
        </label>
        <ErrorMessage error={adding.error ?? removing.error} />
        <button type="submit" disabled={adding.loading}>
          Add address
        </button>
      </form>
    </section>
  );
}
