import { getFragmentData, graphql, type FragmentType } from '../generated/gql/index.ts';
import { Link } from '../router.tsx';
import { Price, Rating, StockBadge } from './common.tsx';

export const ProductCardFragment = graphql(`
  fragment ProductCard_product on Product {
    id
    name
    price {
      amount
      currency
    }
    category {
      id
      name
    }
    inStock
    averageRating
    reviewCount
  }
`);

export function ProductCard(props: { product: FragmentType<typeof ProductCardFragment> }) {
  const product = getFragmentData(ProductCardFragment, props.product);
  return (
    <li className="card">
      <Link to={`/products/${product.id}`} className="card-link">
        <span className="card-title">{product.name}</span>
      </Link>
      <span className="muted">{product.category.name}</span>
      <Price money={product.price} />
      <Rating average={product.averageRating} count={product.reviewCount} />
      <StockBadge inStock={product.inStock} />
    </li>
  );
}
