import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** The channel the migration's trigger notifies after every change of the instance tables. */
export const CHANGES_CHANNEL = 'vm_lifecycle_changes';

export interface PgNotifyListenerOptions {
  knex: Knex;
  /** Only notifications whose payload (the schema of the changed table) is this one count. */
  schema: string;
  /** Called for every notification of `schema`, and after every (re)connection. */
  onNotify: () => void;
  logger?: LoggerService;
  /** First delay before reconnecting after an error; doubles up to 30 s. Default 500 ms. */
  reconnectDelayMs?: number;
}

interface RawPgConnection {
  query(sql: string): Promise<unknown>;
  on(
    event: 'notification',
    fn: (msg: { channel: string; payload?: string }) => void,
  ): void;
  on(event: 'error' | 'end', fn: (error?: Error) => void): void;
  removeAllListeners(): void;
}

interface RawConnectionClient {
  acquireRawConnection(): Promise<RawPgConnection>;
  destroyRawConnection(connection: RawPgConnection): Promise<void>;
}

const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * LISTENs on the changes channel over a connection of its own, outside knex's pool: a pooled
 * connection would be handed to queries and its LISTEN lost. On an error or a closed connection it
 * reconnects with a growing delay, and calls `onNotify` once connected again, because whatever
 * was notified meanwhile is lost (the change feed reads it back).
 */
export class PgNotifyListener {
  private connection?: RawPgConnection;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private delayMs: number;
  private connecting?: Promise<void>;

  constructor(private readonly options: PgNotifyListenerOptions) {
    this.delayMs = options.reconnectDelayMs ?? 500;
  }

  /** Resolves once listening (or once the first attempt failed; it then keeps retrying). */
  start(): Promise<void> {
    this.connecting ??= this.connect();
    return this.connecting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.connecting;
    await this.release();
  }

  /** True while a LISTEN connection is open (for health and tests). */
  get listening(): boolean {
    return this.connection !== undefined;
  }

  private client(): RawConnectionClient {
    return this.options.knex.client as unknown as RawConnectionClient;
  }

  private async connect(): Promise<void> {
    let connection: RawPgConnection | undefined;
    try {
      connection = await this.client().acquireRawConnection();
      if (this.stopped) {
        await this.client().destroyRawConnection(connection);
        return;
      }
      connection.on('notification', msg => {
        if (
          msg.channel === CHANGES_CHANNEL &&
          msg.payload === this.options.schema
        )
          this.options.onNotify();
      });
      const lost = (error?: Error) => this.lost(connection!, error);
      connection.on('error', lost);
      connection.on('end', lost);
      await connection.query(`LISTEN ${CHANGES_CHANNEL}`);
      this.connection = connection;
      this.delayMs = this.options.reconnectDelayMs ?? 500;
      this.options.onNotify();
    } catch (error) {
      if (connection) {
        connection.removeAllListeners();
        await this.client()
          .destroyRawConnection(connection)
          .catch(() => undefined); // already broken; the retry below is what matters
      }
      this.scheduleReconnect(error);
    } finally {
      this.connecting = undefined;
    }
  }

  private lost(connection: RawPgConnection, error?: Error): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    connection.removeAllListeners();
    // An 'error' without a handler would crash the process; the connection is dropped either way.
    connection.on('error', () => undefined);
    void this.client()
      .destroyRawConnection(connection)
      .catch(() => undefined); // already broken; a new connection is opened below
    if (!this.stopped)
      this.scheduleReconnect(error ?? new Error('connection closed'));
  }

  private scheduleReconnect(error: unknown): void {
    if (this.stopped) return;
    this.options.logger?.warn(
      `vm-lifecycle change notifications: LISTEN connection failed (${error instanceof Error ? error.message : String(error)}); reconnecting in ${this.delayMs} ms, the change feed poll covers the gap`,
    );
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, MAX_RECONNECT_DELAY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connecting ??= this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }

  private async release(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    connection.removeAllListeners();
    connection.on('error', () => undefined);
    await this.client()
      .destroyRawConnection(connection)
      .catch(() => undefined); // closing at shutdown: nothing left to do with an error
  }
}
