import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { SourceError } from './source-error.js';

/**
 * Addresses a tenant's connection may not reach: link-local ranges, where cloud metadata services
 * live (169.254.169.254 hands out the platform's own credentials), and AWS's IPv6 metadata address.
 */
const BLOCKED = new net.BlockList();
BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4');
BLOCKED.addSubnet('fe80::', 10, 'ipv6');
BLOCKED.addAddress('fd00:ec2::254', 'ipv6');

/** Whether an IP address is one a connection must not reach. */
export function isBlockedAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  // An IPv4 address written as IPv6 (::ffff:169.254.169.254) is checked as IPv4.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Refuses a host that is, or resolves to, a blocked address. Every address the name resolves to
 * is checked, since a driver may connect to any of them. Names that do not resolve pass: the
 * connection attempt itself then fails as unreachable, with its own message.
 */
export async function assertHostAllowed(host: string, options: { allowLinkLocal?: boolean } = {}): Promise<void> {
  if (options.allowLinkLocal) return;
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return;
    }
  }
  const blocked = addresses.find(isBlockedAddress);
  if (blocked) {
    throw new SourceError(
      'invalid_config',
      `The host ${host} ${blocked === bare ? 'is' : `resolves to ${blocked}, which is`} a link-local or cloud metadata address; connections to it are refused`,
      'Use the address of the database or storage service itself. An operator can allow link-local hosts with ALLOW_LINK_LOCAL_SOURCES=true.',
    );
  }
}
