// An acme-dns client for lego's `exec` DNS provider, speaking exactly as lego's own acme-dns
// provider (goacmedns) does: the account from ACME_DNS_STORAGE_PATH (lego's storage format, keyed
// by domain), POST {ACME_DNS_API_BASE}/update with X-Api-User/X-Api-Key and {"subdomain","txt"},
// no Content-Type. Debian's lego is built without that provider (debian/rules "nodns" list).
// Usage (by lego): acme-dns-hook.ts present|cleanup <fqdn> <value>
import { readFileSync } from 'node:fs';

const [action, fqdn = '', value = ''] = process.argv.slice(2);
if (action === 'present') {
  const domain = fqdn.replace(/\.$/, '').replace(/^_acme-challenge\./, '');
  const storage = JSON.parse(readFileSync(process.env.ACME_DNS_STORAGE_PATH!, 'utf8')) as Record<
    string,
    { username: string; password: string; subdomain: string }
  >;
  const account = storage[domain];
  if (!account) throw new Error(`no acme-dns account for ${domain} in the storage file`);
  const res = await fetch(`${process.env.ACME_DNS_API_BASE}/update`, {
    method: 'POST',
    headers: { 'X-Api-User': account.username, 'X-Api-Key': account.password },
    body: new Blob([JSON.stringify({ subdomain: account.subdomain, txt: value })]),
  });
  if (res.status !== 200) throw new Error(`acme-dns update: HTTP ${res.status} ${await res.text()}`);
}
// cleanup: acme-dns has no delete; the two-value rotation retires old values.
