// The parts of `stagebot doctor` that reach the store and AWS (the CLI front renders their results).
import { callerAccount } from '../aws/account.ts';
import { createAwsClients } from '../aws/clients.ts';
import { describeAwsError, NO_CREDENTIALS } from '../aws/errors.ts';
import type { DoctorProbes } from '../bot/cli/doctor.ts';
import { allRegions } from '../config/index.ts';
import { isUserError } from '../errors.ts';
import { maskUrlCredentials } from '../observability/logger.ts';
import { openStore } from '../store/index.ts';

const AWS_TIMEOUT_MS = 8_000;

export const doctorProbes: DoctorProbes = {
  async store(config, env) {
    const where = env.DATABASE_URL ? maskUrlCredentials(env.DATABASE_URL) : config.store.sqlitePath;
    try {
      const store = await openStore({ databaseUrl: env.DATABASE_URL, sqlitePath: config.store.sqlitePath });
      await store.ping();
      await store.close();
      return { check: 'store', status: 'ok', detail: `${store.backend} at ${where}` };
    } catch (err) {
      return { check: 'store', status: 'fail', detail: isUserError(err) ? err.message : `${where}: ${String(err)}` };
    }
  },

  async aws(config) {
    const aws = createAwsClients({ maxAttempts: 1 });
    const region = allRegions(config)[0] ?? 'us-east-1';
    try {
      const account = await Promise.race([
        callerAccount(aws.sts(region)),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer from STS within ${AWS_TIMEOUT_MS / 1000} s`)), AWS_TIMEOUT_MS).unref()),
      ]);
      if (config.aws.accountAllowlist.includes(account)) return { check: 'aws account', status: 'ok', detail: `${account} (allowed)` };
      return { check: 'aws account', status: 'fail', detail: `credentials are for ${account}, not in aws.accountAllowlist (${config.aws.accountAllowlist.join(', ')})` };
    } catch (err) {
      const why = isUserError(err) ? err.message : describeAwsError(err);
      // Missing credentials already say how to provide them; refused or unreachable ones get the hint here.
      return { check: 'aws credentials', status: 'fail', detail: why === NO_CREDENTIALS ? why : `${why} — set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or run on an instance role)` };
    } finally {
      aws.destroy();
    }
  },
};
