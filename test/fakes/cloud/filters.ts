// EC2 Describe* filters as AWS applies them: filters AND, values OR, `*` and `?` wildcards, `tag:<key>`,
// `tag-key`, `tag-value`; an unknown filter name is an error (AWS rejects it), which catches typos.

import type { Filter } from '@aws-sdk/client-ec2';
import { ec2Error } from './errors.ts';

/** A resource's filterable fields; an array value matches when any element does. */
export type FilterFields = Record<string, string | number | boolean | readonly string[] | undefined | null>;

const patterns = new Map<string, RegExp>();

function wildcard(value: string): RegExp {
  let re = patterns.get(value);
  if (!re) {
    let src = '';
    for (let i = 0; i < value.length; i++) {
      const c = value[i] as string;
      if (c === '\\' && i + 1 < value.length) src += (value[++i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else if (c === '*') src += '[\\s\\S]*';
      else if (c === '?') src += '[\\s\\S]';
      else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`);
    patterns.set(value, re);
  }
  return re;
}

function anyMatches(candidates: readonly string[], values: readonly string[]): boolean {
  return candidates.some((c) => values.some((v) => wildcard(v).test(c)));
}

/** Throws AWS's errors for malformed filters; call once per request, before matching. */
export function validateFilters(filters: readonly Filter[] | undefined, known: readonly string[]): void {
  (filters ?? []).forEach((f, i) => {
    if (!f.Name) throw ec2Error('MissingParameter', `The request must contain the parameter Filter.${i + 1}.Name`);
    if (!f.Values || f.Values.length === 0) throw ec2Error('MissingParameter', `The request must contain the parameter Filter.${i + 1}.Value`);
    const name = f.Name;
    if (name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value') return;
    if (!known.includes(name)) throw ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
  });
}

export function matchesFilters(filters: readonly Filter[] | undefined, fields: FilterFields, tags: ReadonlyMap<string, string>): boolean {
  for (const f of filters ?? []) {
    const name = f.Name as string;
    const values = f.Values ?? [];
    let candidates: readonly string[];
    if (name.startsWith('tag:')) {
      const v = tags.get(name.slice(4));
      candidates = v === undefined ? [] : [v];
    } else if (name === 'tag-key') {
      candidates = [...tags.keys()];
    } else if (name === 'tag-value') {
      candidates = [...tags.values()];
    } else {
      const v = fields[name];
      candidates = v === undefined || v === null ? [] : Array.isArray(v) ? (v as readonly string[]) : [String(v)];
    }
    if (!anyMatches(candidates, values)) return false;
  }
  return true;
}
