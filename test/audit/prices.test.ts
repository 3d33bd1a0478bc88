// Price refresh from the AWS Pricing API (mocked with aws-sdk-client-mock answering GetProducts as AWS
// does: PriceList entries are JSON strings), cached in the store and used by the sweeper's prices.
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.ts';
import { PRICES_KV_KEY, hourlyPriceOf, loadPrices, refreshPrices } from '../../src/audit/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { INSTANCE_HOURLY } from '../../src/cost/price-table.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { stringify } from 'yaml';
import { configData, makeConfig } from './support/world.ts';

/** One product of the EC2 price list as GetProducts returns it (trimmed to the fields that matter, same shape). */
function priceListItem(region: string, instanceType: string, usd: string): string {
  const sku = `SKU${instanceType.replace(/\W/g, '')}${region.replace(/\W/g, '')}`.toUpperCase();
  return JSON.stringify({
    product: {
      productFamily: 'Compute Instance',
      attributes: {
        instanceType, regionCode: region, location: 'EU (Ireland)', operatingSystem: 'Linux', tenancy: 'Shared',
        preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required', vcpu: '8', memory: '32 GiB',
        servicecode: 'AmazonEC2', usagetype: `EU-BoxUsage:${instanceType}`, operation: 'RunInstances',
      },
      sku,
    },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          priceDimensions: {
            [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: {
              unit: 'Hrs', endRange: 'Inf', description: `$${usd} per On Demand Linux ${instanceType} Instance Hour`,
              appliesTo: [], rateCode: `${sku}.JRTCKXETXF.6YS6EN2CT7`, beginRange: '0', pricePerUnit: { USD: usd },
            },
          },
          sku, effectiveDate: '2026-11-01T00:00:00Z', offerTermCode: 'JRTCKXETXF', termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

const pricing = mockClient(PricingClient);
let aws: AwsClients;
let store: Store;

beforeEach(async () => {
  pricing.reset();
  aws = createAwsClients({ credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } });
  store = await openStore({ sqlitePath: ':memory:' });
});
afterEach(async () => {
  aws.destroy();
  await store.close();
});

function answer(prices: Record<string, string | null>): void {
  pricing.on(GetProductsCommand).callsFake((input: { Filters?: { Field?: string; Value?: string }[] }) => {
    const field = (name: string) => input.Filters?.find((f) => f.Field === name)?.Value ?? '';
    const region = field('regionCode');
    const type = field('instanceType');
    const usd = prices[`${region}/${type}`];
    return { FormatVersion: 'aws_v1', PriceList: usd ? [priceListItem(region, type, usd)] : [], $metadata: {} };
  });
}

test('refreshes the configured regions and instance types, caches them, and the sweeper prices with them', async () => {
  answer({ 'us-east-1/t3.2xlarge': '0.3400000000', 'eu-west-1/t3.2xlarge': '0.3700000000' });
  const config = makeConfig();
  const out = await refreshPrices(aws, store, config, { now: new Date('2026-11-21T07:00:00Z') });
  expect(out.refreshed).toEqual(['eu-west-1/t3.2xlarge', 'us-east-1/t3.2xlarge']);
  expect(out.failed).toEqual([]);
  expect(out.awsCalls).toBe(2);
  const calls = pricing.commandCalls(GetProductsCommand).map((c) => c.args[0].input);
  expect(calls[0]).toMatchObject({ ServiceCode: 'AmazonEC2', Filters: expect.arrayContaining([{ Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' }]) });
  expect((await store.kvGet(PRICES_KV_KEY))?.value).toEqual({ 'us-east-1': { 't3.2xlarge': 0.34 }, 'eu-west-1': { 't3.2xlarge': 0.37 } });
  const prices = await loadPrices(store, config);
  expect(prices.instanceHourly('eu-west-1', 't3.2xlarge')).toBe(0.37);
  // What was not refreshed still comes from the bundled table.
  expect(prices.instanceHourly('eu-west-1', 't3.large')).toBe(INSTANCE_HOURLY['eu-west-1']?.['t3.large']);
});

test('a pair the Pricing API cannot price keeps its previous price and is reported', async () => {
  await store.kvSet(PRICES_KV_KEY, { 'eu-west-1': { 't3.2xlarge': 0.36 } });
  answer({ 'us-east-1/t3.2xlarge': '0.3400000000' });
  const out = await refreshPrices(aws, store, makeConfig());
  expect(out.failed).toEqual(['eu-west-1/t3.2xlarge: the Pricing API has no on-demand Linux price']);
  expect((await loadPrices(store, makeConfig())).instanceHourly('eu-west-1', 't3.2xlarge')).toBe(0.36);
});

test('the config\'s own prices win over the refreshed ones', async () => {
  await store.kvSet(PRICES_KV_KEY, { 'eu-west-1': { 't3.2xlarge': 0.36 } });
  const config = parseConfig(stringify({ ...configData(), pricing: { instances: { 'eu-west-1': { 't3.2xlarge': 0.5 } }, ebsGbMonth: { gp3: 0.09 } } }), {});
  const prices = await loadPrices(store, config);
  expect(prices.instanceHourly('eu-west-1', 't3.2xlarge')).toBe(0.5);
  expect(prices.ebsGbMonth('eu-west-1', 'gp3')).toBe(0.09);
});

test('a price-list entry is read only for an hourly, positive on-demand price', () => {
  expect(hourlyPriceOf(priceListItem('eu-west-1', 'm5.large', '0.1070000000'))).toEqual({ region: 'eu-west-1', instanceType: 'm5.large', usd: 0.107 });
  expect(hourlyPriceOf(priceListItem('eu-west-1', 'm5.large', '0.0000000000'))).toBeNull();
  expect(hourlyPriceOf('{not json')).toBeNull();
});
