// `host:port` strings as Toxiproxy takes them (`127.0.0.1:0`, `localhost:6379`, `[::1]:5432`, `:8080`).
import type { AddressInfo } from 'node:net';
import { badRequestBody } from './errors.ts';

export interface HostPort {
  /** Empty for every interface. */
  host: string;
  port: number;
}

/** Parses `host:port`; `field` names the field in the error. An empty listen address means every interface. */
export function parseHostPort(value: string, field: 'listen' | 'upstream'): HostPort {
  if (value === '' && field === 'listen') return { host: '', port: 0 };
  const colon = value.lastIndexOf(':');
  const fail = () =>
    badRequestBody(`${field} address "${value}" must be host:port with a port from 0 to 65535, e.g. 127.0.0.1:0`);
  if (colon < 0) throw fail();
  let host = value.slice(0, colon);
  const portText = value.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw fail();
  if (!/^\d{1,5}$/.test(portText)) throw fail();
  const port = Number(portText);
  if (port > 65535 || (field === 'upstream' && (port === 0 || host === ''))) throw fail();
  return { host, port };
}

/** The address a listener got, as Go prints it: `127.0.0.1:34567`, `[::]:34567`. */
export function formatAddress(address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}
