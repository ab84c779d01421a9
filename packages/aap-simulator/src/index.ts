/**
 * An AWX / AAP controller API simulator: the subset of the REST API the vm-lifecycle provider uses,
 * with real HTTP, real status codes and AWX-shaped JSON, plus an EDA event stream endpoint and
 * `/_sim/` controls for fault injection. Used as the embedded default and as every test's AAP.
 */
export { createAapSimulator } from './simulator';
/** The simulator's seeded PRNG, for tests that want the same replayable randomness. */
export { createRandom } from './random';
export type {
  AapSimulator,
  AapSimulatorOptions,
  EdaPlaybookTarget,
  EdaStreamOptions,
  SimFaults,
  SimJobInfo,
  SimVm,
} from './types';
