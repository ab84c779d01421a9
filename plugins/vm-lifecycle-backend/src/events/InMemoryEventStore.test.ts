import { InMemoryEventStore } from './InMemoryEventStore';
import { runEventStoreContractTests } from './eventStoreContract';

runEventStoreContractTests('InMemoryEventStore', async options => ({
  store: new InMemoryEventStore(options),
  close: async () => {},
}));
