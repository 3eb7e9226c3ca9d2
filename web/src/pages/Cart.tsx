import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Loading, Price, SignInPrompt } from '../components/common.tsx';
import { getFragmentData, graphql, type FragmentType } from '../generated/gql/index.ts';
import { clampQuantity, summarizeCart } from '../lib/cart.ts';
import { fieldErrors } from '../lib/form-errors.ts';
import { Link, navigate } from '../router.tsx';

export const CartContentsFragment = graphql(`
  fragment CartContents_cart on Cart {
    id
    itemCount
    total {
      amount
      currency
    }
    items(first: 50) {
      edges {
        node {
          quantity
          unitPrice {
            amount
            currency
          }
          lineTotal {
            amount
            currency
          }
          purchasable {
            id
            name
          }
        }
      }
    }
  }
`);

export const CartQuery = graphql(`
  query Cart {
    cart {
      id
      ...CartContents_cart
    }
  }
`);

const SetCartItemMutation = graphql(`
  mutation SetCartItem($input: SetCartItemInput!) {
    setCartItem(input: $input) {
      cart {
        id
        ...CartContents_cart
      }
      errors {
        path
        code
        message
      }
    }
  }
`);

function useSetCartItem() {
  return useMutation(SetCartItemMutation, {
    // A first item creates the cart: the Cart query's root field must learn it exists.
    update(cache, { data }) {
      const cart = data?.setCartItem.cart;
      if (cart) cache.writeQuery({ query: CartQuery, data: { cart } });
    },
  });
}

export function AddToCartButton({ purchasableId, disabled }: { purchasableId: string; disabled?: boolean }) {
  const session = useSession();
  const { data } = useQuery(CartQuery, { skip: session.status !== 'signed-in' });
  const [setItem, { loading, error }] = useSetCartItem();
  const [message, setMessage] = useState<string | undefined>();
  const contents = data?.cart ? getFragmentData(CartContentsFragment, data.cart) : undefined;
  const current = contents?.items.edges.find(({ node }) => node.purchasable?.id === purchasableId)?.node.quantity ?? 0;
  const add = async () => {
    if (session.status !== 'signed-in') {
      navigate(`/sign-in?next=${encodeURIComponent(window.location.pathname)}`);
      return;
    }
    const result = await setItem({ variables: { input: { purchasableId, quantity: clampQuantity(current + 1) } } });
    const errors = result.data?.setCartItem.errors ?? [];
    setMessage(errors.length ? fieldErrors(errors, { quantity: 'Quantity' }).quantity ?? errors[0]?.message : 'Added to your cart.');
  };
  return (
    <div>
      <button type="button" className="primary" onClick={() => void add()} disabled={disabled || loading}>
        Add to cart
      </button>
      {message ? (
        <p role="status" className="muted">
          {message} {current > 0 ? <Link to="/cart">View cart ({current})</Link> : null}
        </p>
      ) : null}
      <ErrorMessage error={error} />
    </div>
  );
}

export function CartPage() {
  const session = useSession();
  const { data, loading, error } = useQuery(CartQuery, { skip: session.status !== 'signed-in', fetchPolicy: 'cache-and-network' });
  if (session.status === 'signed-out') return <SignInPrompt what="to see your cart" />;
  if (error) return <ErrorMessage error={error} />;
  if (!data && loading) return <Loading label="Loading your cart…" />;
  if (!data?.cart) return <EmptyCart />;
  return <CartContents cart={data.cart} />;
}

function EmptyCart() {
  return (
    <section>
      <h1>Your cart</h1>
      <p>
        Your cart is empty. <Link to="/">Browse products</Link>.
      </p>
    </section>
  );
}

function CartContents(props: { cart: FragmentType<typeof CartContentsFragment> }) {
  const cart = getFragmentData(CartContentsFragment, props.cart);
  const [setItem, { loading, error }] = useSetCartItem();
  const [lineError, setLineError] = useState<string | undefined>();
  // A line whose purchasable catalog did not return still shows, under a placeholder name.
  const lines = cart.items.edges.map(({ node }, i) => ({ ...node, purchasable: node.purchasable ?? { id: `unavailable-${i}`, name: 'Item details unavailable' } }));
  if (lines.length === 0) return <EmptyCart />;
  const summary = summarizeCart(lines, cart.total);
  const setQuantity = async (purchasableId: string, quantity: number) => {
    const result = await setItem({ variables: { input: { purchasableId, quantity: clampQuantity(quantity) } } });
    const errors = result.data?.setCartItem.errors ?? [];
    setLineError(errors.length ? fieldErrors(errors, { quantity: 'Quantity' }).quantity ?? errors[0]?.message : undefined);
  };
  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      <table className="lines">
        <caption className="visually-hidden">Items in your cart</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.purchasable.id}>
              <td>
                <Link to={`/products/${line.purchasable.id}`}>{line.purchasable.name}</Link>
              </td>
              <td>
                <Price money={line.unitPrice} />
              </td>
              <td>
                <div className="stepper">
                  <button type="button" aria-label={`One fewer ${line.purchasable.name}`} disabled={loading} onClick={() => void setQuantity(line.purchasable.id, line.quantity - 1)}>
                    −
                  </button>
                  <span aria-label="quantity">{line.quantity}</span>
                  <button type="button" aria-label={`One more ${line.purchasable.name}`} disabled={loading} onClick={() => void setQuantity(line.purchasable.id, line.quantity + 1)}>
                    +
                  </button>
                  <button type="button" className="link" disabled={loading} onClick={() => void setQuantity(line.purchasable.id, 0)}>
                    Remove
                  </button>
                </div>
              </td>
              <td>
                <Price money={line.lineTotal} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {lineError ? (
        <p className="error" role="alert">
          {lineError}
        </p>
      ) : null}
      <ErrorMessage error={error} />
      <div className="summary">
        <p>
          {summary.itemCount} item{summary.itemCount === 1 ? '' : 's'} · Total <Price money={summary.subtotal} className="price price-large" />
        </p>
        {!summary.consistent ? <p className="muted">Prices changed since you added some items; the total is today’s.</p> : null}
        <Link to="/checkout" className="button primary">
          Check out
        </Link>
      </div>
    </section>
  );
}
