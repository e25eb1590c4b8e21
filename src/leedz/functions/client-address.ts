/**
 * What a limit per client counts a request by: its IPv4 address, or the /64 network of its IPv6
 * address. One subscriber is given a whole /64 (and often more), and picks any address in it at
 * will (RFC 8981's temporary addresses change on their own), so counting IPv6 per address would let
 * one client start afresh with every request. An IPv4 address written as IPv6 (`::ffff:203.0.113.7`,
 * as a dual-stack server reports it) is that IPv4 address.
 *
 * @example
 * clientKey('203.0.113.7');            // → '203.0.113.7'
 * clientKey('2001:db8:1:2:aaaa::1');   // → '2001:db8:1:2::/64'
 * clientKey('::ffff:203.0.113.7');     // → '203.0.113.7'
 */
import { isIPv4, isIPv6 } from 'node:net';

export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIpv6(address).slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, `::` filled in with zeros (a zone, `%eth0`, dropped; an IPv4 tail as two groups). */
function expandIpv6(address: string): string[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail !== null) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -tail[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const front = head === '' ? [] : head.split(':');
  const back = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back];
}
