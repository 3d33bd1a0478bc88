// URLs, hosts and CIDRs.

import { isIP, isIPv4 } from 'node:net';
import * as z from 'zod';
import { describeValue, expected } from './messages.ts';

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

export function httpUrl(example: string) {
  const hint = `an http(s) URL like ${example}`;
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.string({ error }).trim().refine(isHttpUrl, { error });
}

const REPORT_PLACEHOLDERS = ['{runId}', '{browser}', '{env}'];

/** A report link with `{runId}`, `{browser}` and `{env}` filled in per run and browser. */
export function reportUrlTemplate() {
  const hint = 'an http(s) URL like https://reports.example.com/{runId}/{browser}/';
  return z.string({ error: (iss) => expected(hint, iss.input) }).superRefine((value, ctx) => {
    const unknown = (value.match(/\{[^}]*\}/g) ?? []).filter((p) => !REPORT_PLACEHOLDERS.includes(p));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown.join(', ')} (valid: ${REPORT_PLACEHOLDERS.join(', ')})` });
    } else if (!isHttpUrl(value.replace(/\{[^}]*\}/g, 'x'))) {
      ctx.addIssue({ code: 'custom', message: expected(hint, value) });
    }
  });
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function sshHost() {
  const hint = '{publicIp}, {privateIp} or a host name';
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z
    .string({ error })
    .refine((h) => h === '{publicIp}' || h === '{privateIp}' || isIP(h) !== 0 || HOSTNAME.test(h), { error });
}

/** Why `value` is not an IPv4 CIDR that can go into a security group rule, or null when it is one. */
export function cidrProblem(value: string): string | null {
  const hint = 'an IPv4 CIDR like 203.0.113.10/32';
  const [address = '', prefixText, ...rest] = value.split('/');
  if (rest.length > 0 || prefixText === undefined || !/^\d{1,2}$/.test(prefixText) || !isIPv4(address)) {
    return expected(hint, value);
  }
  const prefix = Number(prefixText);
  if (prefix > 32) return expected(hint, value);
  if (prefix === 0) return `${describeValue(value)} opens SSH to the whole internet (list the addresses stagebot connects from, like 203.0.113.10/32)`;
  // AWS rejects a CIDR with host bits set; say which network was meant instead of failing mid-run.
  const network = networkAddress(address, prefix);
  return network === address ? null : `${describeValue(value)} has host bits set (did you mean ${network}/${prefix} or ${address}/32?)`;
}

function networkAddress(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return [24, 16, 8, 0].map((shift) => (net >>> shift) & 255).join('.');
}

export function cidr() {
  return z.string({ error: (iss) => expected('an IPv4 CIDR like 203.0.113.10/32', iss.input) }).superRefine((value, ctx) => {
    const problem = cidrProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Why `value` is not an IPv4 or IPv6 network (`127.0.0.0/8`, `::1/128`, or one address), or null. */
export function ipNetworkProblem(value: string): string | null {
  const hint = 'an IP address or CIDR like 127.0.0.0/8 or ::1/128';
  const [address = '', prefixText, ...rest] = value.split('/');
  const family = isIP(address);
  if (rest.length > 0 || family === 0) return expected(hint, value);
  if (prefixText === undefined) return null;
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return expected(hint, value);
  return null;
}

/** An IPv4 or IPv6 network that a request's address is matched against (who may read, which proxies are trusted). */
export function ipNetwork() {
  return z.string({ error: (iss) => expected('an IP address or CIDR like 127.0.0.0/8', iss.input) }).trim().superRefine((value, ctx) => {
    const problem = ipNetworkProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}
