// The one seam between the store's SQL and a database driver. Statements are written once,
// with `?` placeholders, in SQL that SQLite (>= 3.35) and Postgres both accept.

export type Dialect = 'sqlite' | 'postgres';

/** What a statement may be bound to. No booleans or Dates: the store writes 0/1 and epoch ms, so both backends compare alike. */
export type SqlValue = string | number | bigint | null;

export interface Db {
  readonly dialect: Dialect;
  /** Rows of a SELECT, or of a write with RETURNING. BIGINT columns come back as numbers on both backends. */
  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** A write; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` in one transaction that holds the write lock from its start (SQLite `BEGIN IMMEDIATE`),
   * committing when it resolves and rolling back when it throws. Use only `tx` inside `fn`;
   * a nested `tx.transaction` joins the outer one.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
