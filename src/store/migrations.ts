// The schema, as one ordered list. Append new migrations; never edit one that has shipped.
// Types are ones both backends read the same way: TEXT, BIGINT (epoch ms, counters), INTEGER (0/1 flags),
// DOUBLE PRECISION (USD). JSON is TEXT. `{{autoid}}` is the one spelling that differs per backend.

import type { Db, Dialect } from './db.ts';

export interface Migration {
  id: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'runs, steps, events, assets, locks, deliveries, cron slots, sweeps, reaped, kv',
    statements: [
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        env TEXT,
        requester TEXT NOT NULL,
        source TEXT NOT NULL,
        options TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT,
        expires_at BIGINT,
        error TEXT,
        lease_owner TEXT,
        lease_heartbeat_at BIGINT,
        last_event_seq BIGINT NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX runs_state_created ON runs (state, created_at)`,
      `CREATE INDEX runs_env ON runs (env)`,
      `CREATE INDEX runs_lease_owner ON runs (lease_owner)`,
      `CREATE TABLE steps (
        seq {{autoid}},
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT,
        outputs TEXT NOT NULL,
        error TEXT,
        UNIQUE (run_id, name)
      )`,
      `CREATE TABLE events (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        at BIGINT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      )`,
      `CREATE TABLE assets (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        region TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        deleted_at BIGINT,
        PRIMARY KEY (run_id, kind, asset_id)
      )`,
      `CREATE INDEX assets_kind_id ON assets (kind, asset_id)`,
      `CREATE INDEX assets_live ON assets (created_at) WHERE deleted_at IS NULL`,
      `CREATE TABLE locks (
        env TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        holder_kind TEXT NOT NULL,
        reason TEXT,
        sticky INTEGER NOT NULL,
        since BIGINT NOT NULL
      )`,
      `CREATE TABLE deliveries (
        key TEXT PRIMARY KEY,
        at BIGINT NOT NULL
      )`,
      `CREATE INDEX deliveries_at ON deliveries (at)`,
      `CREATE TABLE cron_slots (
        name TEXT NOT NULL,
        occurrence BIGINT NOT NULL,
        owner TEXT NOT NULL,
        claimed_at BIGINT NOT NULL,
        PRIMARY KEY (name, occurrence)
      )`,
      `CREATE TABLE sweeps (
        id {{autoid}},
        started_at BIGINT NOT NULL,
        finished_at BIGINT,
        dry_run INTEGER NOT NULL,
        summary TEXT
      )`,
      `CREATE TABLE reaped (
        sweep_id BIGINT NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        asset_id TEXT NOT NULL,
        region TEXT NOT NULL,
        run_id TEXT,
        cost_usd DOUBLE PRECISION NOT NULL,
        reaped_at BIGINT NOT NULL,
        PRIMARY KEY (sweep_id, kind, asset_id)
      )`,
      `CREATE INDEX reaped_at ON reaped (reaped_at)`,
      `CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    id: 2,
    name: 'runs.cancel_requested_by: a cancel another replica must act on',
    statements: [`ALTER TABLE runs ADD COLUMN cancel_requested_by TEXT`],
  },
  {
    id: 3,
    name: 'runs.cancel_reason: why a cancel was asked, shown with who asked',
    statements: [`ALTER TABLE runs ADD COLUMN cancel_reason TEXT`],
  },
  {
    id: 4,
    name: 'runs.concurrency_key: at most one active run per key (one /e2e run per pull request)',
    statements: [
      `ALTER TABLE runs ADD COLUMN concurrency_key TEXT`,
      // The claim itself: of two launches racing with one key, the database lets exactly one insert.
      // The states are Run's ACTIVE_RUN_STATES; a run leaving them frees the key in the same UPDATE.
      `CREATE UNIQUE INDEX runs_active_concurrency_key ON runs (concurrency_key) WHERE state IN ('queued', 'running', 'kept')`,
    ],
  },
  {
    id: 5,
    name: 'fencing and handover: runs.lease_epoch, runs.handover_from, runs.handover_secrets; replicas',
    statements: [
      // Bumped whenever the lease changes hands: a driver that still acts under an older epoch is fenced.
      `ALTER TABLE runs ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0`,
      // Set by a replica that stopped on purpose and released the run to be resumed, not torn down.
      `ALTER TABLE runs ADD COLUMN handover_from TEXT`,
      // The run's in-process secrets (an ephemeral key), AES-GCM-sealed with the operator's key, for the resumer.
      `ALTER TABLE runs ADD COLUMN handover_secrets TEXT`,
      // Every engine's own heartbeat: which processes are alive, and which of them are servers.
      `CREATE TABLE replicas (
        owner TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        stopping INTEGER NOT NULL DEFAULT 0
      )`,
    ],
  },
  {
    id: 6,
    name: 'run-kind',
    statements: [`ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'launch'`],
  },
  {
    id: 20,
    name: 'image manifest history: every version of the image manifest, who wrote it and why',
    statements: [
      `CREATE TABLE image_manifests (
        seq {{autoid}},
        at BIGINT NOT NULL,
        author TEXT NOT NULL,
        reason TEXT NOT NULL,
        manifest TEXT NOT NULL
      )`,
    ],
  },
  {
    // Ids from 30 leave 6-29 to the migrations of other work in flight (run kinds, images).
    id: 30,
    name: 'pool_members: the warm pool, claimed atomically by launches',
    statements: [
      `CREATE TABLE pool_members (
        id TEXT PRIMARY KEY,
        env TEXT NOT NULL,
        region TEXT NOT NULL,
        instance_id TEXT,
        ami TEXT NOT NULL,
        base_ref TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        built_at BIGINT,
        claimed_by TEXT,
        claimed_at BIGINT,
        evict_reason TEXT
      )`,
      `CREATE INDEX pool_members_env_state ON pool_members (env, state)`,
      // A run claims at most one member.
      `CREATE UNIQUE INDEX pool_members_claimed_by ON pool_members (claimed_by) WHERE claimed_by IS NOT NULL`,
    ],
  },
];

const AUTO_ID: Record<Dialect, string> = {
  sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  postgres: 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY',
};

function forDialect(sql: string, dialect: Dialect): string {
  return sql.replaceAll('{{autoid}}', AUTO_ID[dialect]);
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, all in one transaction, and
 * returns the ids it applied. Two processes opening at once take turns: SQLite's BEGIN IMMEDIATE
 * holds the file's write lock, Postgres takes an advisory lock per schema; the second one then
 * finds everything applied.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') {
      // Before CREATE TABLE IF NOT EXISTS: two of those racing can still collide in Postgres.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('stagebot:migrate:' || current_schema()))`);
    }
    await tx.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at BIGINT NOT NULL
    )`);
    const rows = await tx.query<{ id: number }>('SELECT id FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.id)));
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (applied.has(migration.id)) continue;
      for (const statement of migration.statements) await tx.run(forDialect(statement, tx.dialect));
      await tx.run('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)', [
        migration.id,
        migration.name,
        Date.now(),
      ]);
      done.push(migration.id);
    }
    return done;
  });
}
