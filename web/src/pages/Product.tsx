import { useLazyQuery, useMutation, useQuery } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Field, formatDate, Loading, Price, Rating, StockBadge, Unavailable } from '../components/common.tsx';
import { getFragmentData, graphql, type FragmentType } from '../generated/gql/index.ts';
import { hasArrived } from '../lib/deferred.ts';
import { fieldErrors, type FieldErrors } from '../lib/form-errors.ts';
import { navigate } from '../router.tsx';
import { AddToCartButton } from './Cart.tsx';

const COUNTRIES: [string, string][] = [
  ['DE', 'Germany'],
  ['FR', 'France'],
  ['NL', 'Netherlands'],
  ['GB', 'United Kingdom'],
  ['US', 'United States'],
];

export const ShippingEstimateFragment = graphql(`
  fragment ShippingEstimate_product on Product {
    shippingEstimate(country: $country) {
      cost {
        amount
        currency
      }
      carrier
      minDays
      maxDays
    }
  }
`);

export const ReviewsFragment = graphql(`
  fragment Reviews_product on Product {
    id
    averageRating
    reviewCount
    reviews(first: 5) {
      edges {
        cursor
        node {
          id
          rating
          title
          body
          createdAt
          verifiedPurchase
          author {
            name
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/*
 * The page renders from catalog's and inventory's part at once; the shipping estimate and the reviews are
 * deferred (@defer on their fragments) and fill in as the router streams them.
 */
const ProductPageQuery = graphql(`
  query ProductPage($id: ID!, $country: String!) {
    product(id: $id) {
      id
      name
      sku
      description
      price {
        amount
        currency
      }
      category {
        id
        name
      }
      inStock
      stock {
        available
      }
      ...ShippingEstimate_product @defer(label: "shipping")
      ...Reviews_product @defer(label: "reviews")
    }
  }
`);

const MoreReviewsQuery = graphql(`
  query MoreReviews($id: ID!, $after: String) {
    product(id: $id) {
      id
      reviews(first: 5, after: $after) {
        edges {
          cursor
          node {
            id
            rating
            title
            body
            createdAt
            verifiedPurchase
            author {
              name
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

const WriteReviewMutation = graphql(`
  mutation WriteReview($input: WriteReviewInput!) {
    writeReview(input: $input) {
      review {
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

export function ProductPage({ id }: { id: string }) {
  const [country, setCountry] = useState('DE');
  const { data, previousData, error, loading } = useQuery(ProductPageQuery, { variables: { id, country } });
  const shown = data ?? previousData;
  if (error && !shown) return <ErrorMessage error={error} />;
  if (!shown) return <Loading label="Loading product…" />;
  const product = shown.product;
  if (!product) return <p>This product does not exist (any more).</p>;
  return (
    <article className="product" aria-labelledby="product-title">
      <p className="breadcrumbs">
        <a href={`/?category=${product.category.id}`} onClick={(e) => (e.preventDefault(), navigate(`/?category=${product.category.id}`))}>
          {product.category.name}
        </a>
      </p>
      <h1 id="product-title">{product.name}</h1>
      <div className="product-main">
        <div>
          <p className="muted">SKU {product.sku}</p>
          <p className="description">{product.description}</p>
        </div>
        <aside className="panel buy" aria-label="Buy">
          <Price money={product.price} className="price price-large" />
          <StockBadge inStock={product.inStock} available={product.stock?.available} />
          <AddToCartButton purchasableId={product.id} disabled={!product.inStock} />
          <section aria-labelledby="shipping-title" className="shipping">
            <h2 id="shipping-title">Shipping</h2>
            <label>
              Ship to{' '}
              <select value={country} onChange={(event) => setCountry(event.target.value)}>
                {COUNTRIES.map(([code, name]) => (
                  <option key={code} value={code}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
            {hasArrived(ShippingEstimateFragment, 'shippingEstimate', product) && !loading ? (
              <ShippingEstimate product={product} />
            ) : (
              <Loading label="Estimating shipping…" />
            )}
          </section>
        </aside>
      </div>
      {hasArrived(ReviewsFragment, 'reviews', product) ? <Reviews product={product} /> : <Loading label="Loading reviews…" />}
    </article>
  );
}

function ShippingEstimate(props: { product: FragmentType<typeof ShippingEstimateFragment> }) {
  const { shippingEstimate: estimate } = getFragmentData(ShippingEstimateFragment, props.product);
  if (!estimate) return <Unavailable what="The shipping estimate" />;
  return (
    <p className="shipping-estimate">
      <Price money={estimate.cost} /> with {estimate.carrier}, {estimate.minDays}–{estimate.maxDays} days
    </p>
  );
}

function Reviews(props: { product: FragmentType<typeof ReviewsFragment> }) {
  const product = getFragmentData(ReviewsFragment, props.product);
  const [fetchPage, { loading }] = useLazyQuery(MoreReviewsQuery);
  const [error, setError] = useState<Error | undefined>();
  const reviews = product.reviews;
  const more = async () => {
    if (!reviews) return;
    try {
      await fetchPage({ variables: { id: product.id, after: reviews.pageInfo.endCursor ?? null } });
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <section aria-labelledby="reviews-title" className="reviews">
      <h2 id="reviews-title">Reviews</h2>
      <Rating average={product.averageRating} count={product.reviewCount} />
      {!reviews ? <Unavailable what="Reviews" /> : null}
      <ul>
        {reviews?.edges.map(({ node }) => (
          <li key={node.id} className="review">
            <p>
              <strong>{node.title}</strong> <span aria-label={`${node.rating} out of 5`}>{'★'.repeat(node.rating)}</span>
            </p>
            <p>{node.body}</p>
            <p className="muted">
              {node.author.name}
              {node.verifiedPurchase ? ' · verified purchase' : ''} · {formatDate(node.createdAt)}
            </p>
          </li>
        ))}
      </ul>
      <ErrorMessage error={error} />
      {reviews?.pageInfo.hasNextPage ? (
        <button type="button" onClick={() => void more()} disabled={loading}>
          More reviews
        </button>
      ) : null}
      <WriteReview purchasableId={product.id} />
    </section>
  );
}

const REVIEW_FIELDS = { rating: 'Rating', title: 'Title', body: 'Review' };

function WriteReview({ purchasableId }: { purchasableId: string }) {
  const session = useSession();
  const [write, { loading, error }] = useMutation(WriteReviewMutation, { refetchQueries: ['ProductPage'] });
  const [errors, setErrors] = useState<FieldErrors<keyof typeof REVIEW_FIELDS>>({});
  const [done, setDone] = useState(false);
  if (session.status !== 'signed-in') return <p className="muted">Sign in to review a product you bought.</p>;
  if (done) return <p role="status">Thank you for your review.</p>;
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await write({
      variables: { input: { purchasableId, rating: Number(form.get('rating')), title: String(form.get('title') ?? ''), body: String(form.get('body') ?? '') } },
    });
    const payload = result.data?.writeReview;
    if (!payload) return;
    setErrors(fieldErrors(payload.errors, REVIEW_FIELDS));
    if (payload.review) setDone(true);
  };
  return (
    <form className="panel form" onSubmit={(event) => void submit(event)} aria-labelledby="write-review-title" noValidate>
      <h3 id="write-review-title">Write a review</h3>
      {errors.form ? (
        <p className="error" role="alert">
          {errors.form}
        </p>
      ) : null}
      <Field id="review-rating" label="Rating" error={errors.rating}>
        <select id="review-rating" name="rating" defaultValue="5">
          {[5, 4, 3, 2, 1].map((n) => (
            <option key={n} value={n}>
              {n} star{n === 1 ? '' : 's'}
            </option>
          ))}
        </select>
      </Field>
      <Field id="review-title" label="Title" error={errors.title}>
        <input id="review-title" name="title" aria-invalid={Boolean(errors.title)} />
      </Field>
      <Field id="review-body" label="Review" error={errors.body}>
        <textarea id="review-body" name="body" rows={4} aria-invalid={Boolean(errors.body)} />
      </Field>
      <ErrorMessage error={error} />
      <button type="submit" disabled={loading}>
        Publish review
      </button>
    </form>
  );
}
