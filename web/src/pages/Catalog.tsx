import { useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { ErrorMessage, Loading } from '../components/common.tsx';
import { ProductCard } from '../components/ProductCard.tsx';
import { graphql } from '../generated/gql/index.ts';
import type { ProductOrder } from '../generated/gql/graphql.ts';
import { parseMajorUnits } from '../lib/money.ts';
import { navigate, useLocation } from '../router.tsx';

const PAGE_SIZE = 12;

const CatalogQuery = graphql(`
  query Catalog($first: Int!, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {
    products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      edges {
        cursor
        node {
          id
          ...ProductCard_product
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    categories(first: 50) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const ORDERS: { value: ProductOrder; label: string }[] = [
  { value: 'NEWEST', label: 'Newest' },
  { value: 'PRICE_ASC', label: 'Price: low to high' },
  { value: 'PRICE_DESC', label: 'Price: high to low' },
  { value: 'TOP_RATED', label: 'Top rated' },
  { value: 'NAME_ASC', label: 'Name' },
];

const isOrder = (value: string | null): value is ProductOrder => ORDERS.some((order) => order.value === value);

/** The catalog: search, category and price filters, orderings; the filters live in the URL. */
export function CatalogPage() {
  const { search } = useLocation();
  const q = search.get('q') ?? '';
  const category = search.get('category') ?? '';
  const minPrice = parseMajorUnits(search.get('min') ?? '');
  const maxPrice = parseMajorUnits(search.get('max') ?? '');
  const sort = search.get('sort');
  const orderBy: ProductOrder = isOrder(sort) ? sort : 'NEWEST';
  const filter = {
    ...(q ? { search: q } : {}),
    ...(category ? { categoryId: category } : {}),
    ...(minPrice !== undefined ? { minPrice } : {}),
    ...(maxPrice !== undefined ? { maxPrice } : {}),
  };
  const { data, previousData, loading, error, fetchMore } = useQuery(CatalogQuery, { variables: { first: PAGE_SIZE, filter, orderBy }, notifyOnNetworkStatusChange: true });
  const [loadingMore, setLoadingMore] = useState(false);
  const shown = data ?? previousData;

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const params = new URLSearchParams();
    for (const key of ['q', 'category', 'min', 'max', 'sort']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) params.set(key, value);
    }
    navigate(`/?${params.toString()}`);
  };

  const more = async () => {
    const endCursor = shown?.products?.pageInfo.endCursor;
    if (!endCursor) return;
    setLoadingMore(true);
    try {
      await fetchMore({ variables: { after: endCursor } });
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">{q ? `Results for “${q}”` : 'Products'}</h1>
      <form className="filters" onSubmit={apply} key={search.toString()} role="search" aria-label="Filter products">
        <label>
          Search
          <input name="q" type="search" defaultValue={q} placeholder="steel, lamp…" />
        </label>
        <label>
          Category
          <select name="category" defaultValue={category}>
            <option value="">All</option>
            {shown?.categories?.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Min price
          <input name="min" inputMode="decimal" defaultValue={search.get('min') ?? ''} size={6} />
        </label>
        <label>
          Max price
          <input name="max" inputMode="decimal" defaultValue={search.get('max') ?? ''} size={6} />
        </label>
        <label>
          Sort by
          <select name="sort" defaultValue={orderBy}>
            {ORDERS.map((order) => (
              <option key={order.value} value={order.value}>
                {order.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorMessage error={error} />
      {!shown && loading ? <Loading label="Loading products…" /> : null}
      {shown?.products && shown.products.edges.length === 0 ? <p>No products match. Try fewer filters.</p> : null}
      <ul className="grid" aria-busy={loading}>
        {shown?.products?.edges.map(({ node }) => (
          <ProductCard key={node.id} product={node} />
        ))}
      </ul>
      {shown?.products?.pageInfo.hasNextPage ? (
        <button type="button" className="more" onClick={() => void more()} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show more'}
        </button>
      ) : null}
    </section>
  );
}
