// resolv.conf → result DNS, as the reference's parseResolvConf: `nameserver`, `domain`,
// `search`, `options`; `#` and `;` start comment lines; lines with one field are ignored.
import { readFileSync } from 'node:fs';

export interface DNS {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export function parseResolvConfText(text: string): DNS {
  const dns: DNS = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0 || line[0] === '#' || line[0] === ';') continue;
    const fields = line.split(/\s+/);
    if (fields.length < 2) continue;
    const [key, first, ...rest] = fields as [string, string, ...string[]];
    switch (key) {
      case 'nameserver':
        dns.nameservers = [...(dns.nameservers ?? []), first];
        break;
      case 'domain':
        dns.domain = first;
        break;
      case 'search':
        dns.search = [...(dns.search ?? []), first, ...rest];
        break;
      case 'options':
        dns.options = [...(dns.options ?? []), first, ...rest];
        break;
    }
  }
  return dns;
}

export function parseResolvConf(path: string): DNS {
  return parseResolvConfText(readFileSync(path, 'utf8'));
}
