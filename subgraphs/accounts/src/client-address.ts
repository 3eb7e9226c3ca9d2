import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { CLIENT_ADDRESS_HEADER } from '@storefront/identity';

/*
 * The client's address, for the per-address sign-in limits. Only the router knows it (it resolves it behind
 * its trusted proxies, as its own rate limit does) and sends it on every call as CLIENT_ADDRESS_HEADER.
 */
export { CLIENT_ADDRESS_HEADER };

/**
 * The address the throttle counts by: an IPv4 address as is (IPv4-mapped IPv6 unwrapped), an IPv6 address by
 * its /64, since one subscriber gets a whole /64 and could otherwise try from 2^64 addresses. Undefined when
 * the header is missing or not an IP address.
 */
export function clientAddressFrom(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers[CLIENT_ADDRESS_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  const address = value.replace(/%.*$/, ''); // an IPv6 zone names a local interface, not a client
  if (address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) return address.slice(7);
  switch (isIP(address)) {
    case 4:
      return address;
    case 6:
      return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
    default:
      return undefined;
  }
}

/** The eight groups of a valid IPv6 address, `::` expanded, without leading zeros. */
function ipv6Groups(address: string): string[] {
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) fills the last two groups.
  const groupsOf = (part: string) => (part ? part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : []);
  const [head = '', tail] = address.split('::');
  const left = groupsOf(head);
  const right = tail === undefined ? [] : groupsOf(tail);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16).toString(16));
}
