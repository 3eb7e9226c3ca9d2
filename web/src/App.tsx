import { useApolloClient, useQuery } from '@apollo/client/react';
import { lazy, Suspense, type FormEvent } from 'react';
import { isAdmin, useSession, useSessionManager } from './auth/SessionContext.tsx';
import { Loading } from './components/common.tsx';
import { getFragmentData } from './generated/gql/index.ts';
import { AccountPage } from './pages/Account.tsx';
import { CartContentsFragment, CartPage, CartQuery } from './pages/Cart.tsx';
import { CatalogPage } from './pages/Catalog.tsx';
import { CheckoutPage } from './pages/Checkout.tsx';
import { NotificationsPage, useUnreadCount } from './pages/Notifications.tsx';
import { OrderPage } from './pages/Order.tsx';
import { ProductPage } from './pages/Product.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { Link, matchPath, navigate, useLocation } from './router.tsx';

// Only admins load the back office's code.
const AdminPage = lazy(() => import('./admin/Admin.tsx'));

function Header() {
  const session = useSession();
  const manager = useSessionManager();
  const client = useApolloClient();
  const { search } = useLocation();
  const signedIn = session.status === 'signed-in';
  const cart = useQuery(CartQuery, { skip: !signedIn });
  const count = useUnreadCount(signedIn);
  const itemCount = cart.data?.cart ? getFragmentData(CartContentsFragment, cart.data.cart).itemCount : 0;
  const onSearch = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const q = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    navigate(q ? `/?q=${encodeURIComponent(q)}` : '/');
  };
  const signOut = async () => {
    await manager.signOut();
    await client.clearStore();
    navigate('/');
  };
  return (
    <header className="site-header">
      <Link to="/" className="logo">
        Storefront
      </Link>
      <form role="search" className="header-search" onSubmit={onSearch} aria-label="Search products" key={search.get('q') ?? ''}>
        <input type="search" name="q" aria-label="Search products" placeholder="Search products" defaultValue={search.get('q') ?? ''} />
        <button type="submit">Search</button>
      </form>
      <nav aria-label="Account">
        <ul>
          {isAdmin(session) ? (
            <li>
              <Link to="/admin">Admin</Link>
            </li>
          ) : null}
          {signedIn ? (
            <>
              <li>
                <Link to="/notifications">
                  Notifications
                  {count ? (
                    <>
                      {' '}
                      <span className="count">{count}</span>
                      <span className="visually-hidden"> unread</span>
                    </>
                  ) : null}
                </Link>
              </li>
              <li>
                <Link to="/account">{session.session.user.name}</Link>
              </li>
              <li>
                <button type="button" className="link" onClick={() => void signOut()}>
                  Sign out
                </button>
              </li>
            </>
          ) : session.status === 'signed-out' ? (
            <li>
              <Link to="/sign-in">Sign in</Link>
            </li>
          ) : null}
          <li>
            <Link to="/cart">
              Cart
              {itemCount ? (
                <>
                  {' '}
                  <span className="count">{itemCount}</span>
                  <span className="visually-hidden"> item{itemCount === 1 ? '' : 's'}</span>
                </>
              ) : null}
            </Link>
          </li>
        </ul>
      </nav>
    </header>
  );
}

function Page() {
  const { path } = useLocation();
  const session = useSession();
  if (session.status === 'unknown') return <Loading />;
  let params: Record<string, string> | undefined;
  if (path === '/') return <CatalogPage />;
  if ((params = matchPath('/products/:id', path))) return <ProductPage id={params.id ?? ''} />;
  if (path === '/cart') return <CartPage />;
  if (path === '/checkout') return <CheckoutPage />;
  if ((params = matchPath('/orders/:id', path))) return <OrderPage id={params.id ?? ''} />;
  if (path === '/account') return <AccountPage />;
  if (path === '/notifications') return <NotificationsPage />;
  if (path === '/sign-in') return <SignInPage mode="in" />;
  if (path === '/sign-up') return <SignInPage mode="up" />;
  if (path.startsWith('/admin')) {
    return (
      <Suspense fallback={<Loading />}>
        <AdminPage />
      </Suspense>
    );
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page here. <Link to="/">Back to the shop</Link>.
      </p>
    </section>
  );
}

export function App() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main">
        <Page />
      </main>
      <footer className="site-footer">
        <p>Storefront — a federated GraphQL supergraph demo. Prices include VAT.</p>
      </footer>
    </>
  );
}
