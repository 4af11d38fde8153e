// Sending one webhook delivery: the SSRF guard (docs/security.md, "Webhooks"), the signature, and a
// bounded HTTP request. The host is resolved once, every address it has is checked, and the request
// goes to the checked address (the socket's lookup is pinned), so a DNS answer that changes between
// the check and the connection (rebinding) cannot reach a refused address.
import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Loopback, private, link-local (cloud metadata), CGNAT, unique-local, multicast, reserved, documentation. */
// Two lists: Node checks an IPv4 address against IPv6 rules as IPv4-mapped, so one list with
// ::ffff:0:0/96 in it would refuse every IPv4 address.
const refused4 = new BlockList();
const refused6 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  refused4.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback and the old IPv4-compatible form
  ['::ffff:0:0', 96], // IPv4-mapped: refused whole, whatever IPv4 address it carries
  ['64:ff9b::', 96], // NAT64: could reach any IPv4 address
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique-local (fd00:ec2::254 is a cloud metadata address)
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  refused6.addSubnet(net, bits, 'ipv6');

/** Whether an address may be called without the allow-list. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !refused4.check(address, 'ipv4') : !refused6.check(address, 'ipv6');
}

/** Why a URL cannot be a webhook's, or null (the checks that need no DNS). */
export function urlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'Not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'Must be an http or https URL';
  if (u.username || u.password) return 'Must not carry a user name or password';
  if (!u.hostname) return 'Must name a host';
  return null;
}

export class WebhookRefused extends Error {}

/**
 * The address to connect to: the host's, resolved now. Every address the host has must be public,
 * unless the host (as written in the URL) is on the allow-list.
 */
export async function resolveTarget(
  url: URL,
  allowHosts: readonly string[],
): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new WebhookRefused(`${host} has no address`);
  if (!allowHosts.includes(host)) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad)
      throw new WebhookRefused(
        `${host} resolves to ${bad.address}, a private or reserved address (WEBHOOK_ALLOW_HOSTS)`,
      );
  }
  return { address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}

/** `Sitewatt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (docs/alarms.md). */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

export interface SendOptions {
  allowHosts: readonly string[];
  timeoutMs: number;
  /** Response bytes read at most; the rest is not waited for. */
  maxResponseBytes: number;
}

/** One attempt: resolves (never rejects) with how it ended. 2xx is success; redirects are not followed. */
export async function sendWebhook(
  target: { url: string; secret: string },
  delivery: { id: string; event: string; body: string },
  opts: SendOptions,
  now = Date.now(),
): Promise<SendOutcome> {
  let url: URL;
  let pinned: { address: string; family: 4 | 6 };
  try {
    url = new URL(target.url);
    pinned = await resolveTarget(url, opts.allowHosts);
  } catch (err) {
    return { ok: false, statusCode: null, error: err instanceof Error ? err.message : 'Cannot resolve the host' };
  }
  const pin: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    lookup: pin,
    timeout: opts.timeoutMs,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(delivery.body),
      'user-agent': 'Sitewatt-Webhooks/1',
      'sitewatt-event': delivery.event,
      'sitewatt-delivery': delivery.id,
      'sitewatt-signature': signature(target.secret, delivery.body, Math.floor(now / 1000)),
    },
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const done = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      resolve(outcome);
    };
    const req = send(url, requestOptions, (res) => {
      let read = 0;
      const statusCode = res.statusCode ?? 0;
      const finish = () =>
        done({
          ok: statusCode >= 200 && statusCode < 300,
          statusCode,
          error: statusCode < 300 ? null : `HTTP ${statusCode}`,
        });
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > opts.maxResponseBytes) {
          finish(); // the status is known; an endless body is not our problem
          req.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    // The socket timeout only counts idle time: the whole attempt is bounded too.
    const overall = setTimeout(() => req.destroy(new Error(`No answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`No answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => done({ ok: false, statusCode: null, error: err.message.slice(0, 300) }));
    req.end(delivery.body);
  });
}
