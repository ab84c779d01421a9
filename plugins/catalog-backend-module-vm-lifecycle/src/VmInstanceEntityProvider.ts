import { createHash } from 'node:crypto';
import {
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  ApiGroupNames,
  ComputeInstance,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import {
  VmInstanceChange,
  VmInstanceLinks,
  VmInstancesService,
} from '@vm-selfservice/plugin-vm-lifecycle-node';
import { entityRefOf, instanceToEntity } from './instanceToEntity';

export interface VmInstanceEntityProviderOptions {
  instances: VmInstancesService;
  names: ApiGroupNames;
  links: VmInstanceLinks;
  logger: LoggerService;
  /** Runs the full mutation: at start and then on its schedule. */
  taskRunner: SchedulerServiceTaskRunner;
  /** How long changes are gathered into one delta mutation. Default 200 ms. */
  deltaDelayMs?: number;
}

const PROVIDER_NAME = 'vm-lifecycle';

/**
 * Every ComputeInstance as a Resource entity. A full mutation at start and on a schedule replaces
 * the provider's entities with the store's; between them each change the store announces becomes
 * a delta mutation (a deleted instance's entity is removed), so the catalog follows within a
 * moment, in database and in cluster mode alike (the store announces changes of every replica).
 */
export class VmInstanceEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private unwatch?: () => void;
  /** Changes waiting for the next delta, by instance key; the newest wins. */
  private pending = new Map<string, VmInstanceChange>();
  private flushTimer?: NodeJS.Timeout;
  /** Full and delta mutations run one after the other, in the order they were taken. */
  private chain: Promise<void> = Promise.resolve();
  /** A hash of what the catalog was last given per instance, to skip changes the entity does not show (a job polled). */
  private readonly sent = new Map<string, string>();
  private readonly locationRef = `vm-lifecycle-provider:${PROVIDER_NAME}`;

  constructor(private readonly o: VmInstanceEntityProviderOptions) {}

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    this.unwatch = this.o.instances.watch(change => this.onChange(change));
    await this.o.taskRunner.run({
      id: `${PROVIDER_NAME}:full-mutation`,
      fn: async () => {
        await this.fullMutation();
      },
    });
  }

  /** Stops following changes (backend shutdown). */
  async close(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.chain;
  }

  /**
   * Replaces all of this provider's entities. The instance list is converted in place, so only
   * one list lives at a time: each slot holds an instance until it becomes that instance's entity.
   */
  async fullMutation(): Promise<{ entities: number }> {
    return this.enqueue(async () => {
      const connection = this.requireConnection();
      const started = Date.now();
      const slots: Array<ComputeInstance | DeferredEntity> =
        await this.o.instances.list();
      this.sent.clear();
      for (let i = 0; i < slots.length; i++) {
        const instance = slots[i] as ComputeInstance;
        const entity = this.toEntity(instance);
        this.sent.set(keyOf(instance), hashOf(entity));
        slots[i] = { entity, locationKey: this.locationKey(instance) };
      }
      await connection.applyMutation({
        type: 'full',
        entities: slots as DeferredEntity[],
      });
      this.o.logger.info(
        `Full mutation of ${slots.length} virtual machine entities in ${Date.now() - started} ms`,
      );
      return { entities: slots.length };
    });
  }

  private onChange(change: VmInstanceChange): void {
    this.pending.set(keyOf(change.object), change);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushDelta().catch(e =>
        // The next full mutation heals whatever a failed delta left out.
        this.o.logger.warn(
          `Delta mutation of virtual machine entities failed: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
    }, this.o.deltaDelayMs ?? 200);
    this.flushTimer.unref?.();
  }

  private flushDelta(): Promise<void> {
    return this.enqueue(async () => {
      const connection = this.requireConnection();
      const changes = [...this.pending.values()];
      this.pending = new Map();
      const added: DeferredEntity[] = [];
      const removed: DeferredEntity[] = [];
      for (const { type, object } of changes) {
        const key = keyOf(object);
        const entity = this.toEntity(object);
        if (type === 'DELETED') {
          this.sent.delete(key);
          removed.push({ entity, locationKey: this.locationKey(object) });
          continue;
        }
        const hash = hashOf(entity);
        if (this.sent.get(key) === hash) continue;
        this.sent.set(key, hash);
        added.push({ entity, locationKey: this.locationKey(object) });
      }
      if (added.length === 0 && removed.length === 0) return;
      await connection.applyMutation({ type: 'delta', added, removed });
    });
  }

  private toEntity(instance: ComputeInstance): Entity {
    return instanceToEntity(instance, {
      names: this.o.names,
      links: this.o.links,
      locationRef: this.locationRef,
    });
  }

  /** By entity ref, not uid: a VM requested again under a deleted one's name takes its entity over without a conflict. */
  private locationKey(instance: ComputeInstance): string {
    return `${PROVIDER_NAME}:${entityRefOf(instance)}`;
  }

  private requireConnection(): EntityProviderConnection {
    if (!this.connection) {
      throw new Error('The vm-lifecycle entity provider is not connected');
    }
    return this.connection;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function keyOf(instance: Pick<ComputeInstance, 'metadata'>): string {
  return `${instance.metadata.namespace}/${instance.metadata.name}`;
}

function hashOf(entity: Entity): string {
  return createHash('sha1').update(JSON.stringify(entity)).digest('base64');
}
