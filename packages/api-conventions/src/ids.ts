import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name (RFC 4122 version 5 layout over SHA-1). Seed data uses it so every service can
 * compute the ids of another service's seeded entities (e.g. accounts' wishlists name catalog's products)
 * without reading that service's database.
 */
export function nameBasedUuid(namespace: string, name: string | number): string {
  const bytes = createHash('sha1').update(`${namespace}:${name}`).digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6); // version 5
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8); // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
