import { ComputeInstanceSpec } from '../../types';
import { VmTemplate } from '../templates';

export const fedoraSmall: VmTemplate = {
  id: 'fedora_small',
  title: 'Fedora, small',
  description: 'Two cores, 4 GiB, Fedora from quay.io',
  defaults: {
    image: {
      sourceType: 'registry',
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    guestOSFamily: 'linux',
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    runStrategy: 'Always',
  },
};

export function validSpec(
  overrides: Partial<ComputeInstanceSpec> = {},
): ComputeInstanceSpec {
  return {
    templateID: 'fedora_small',
    templateParameters: '{"env":"dev"}',
    image: {
      sourceType: 'registry',
      sourceRef: 'quay.io/containerdisks/fedora:latest',
    },
    guestOSFamily: 'linux',
    cores: 2,
    memoryGiB: 4,
    bootDisk: { sizeGiB: 20 },
    additionalDisks: [{ sizeGiB: 10 }],
    runStrategy: 'Always',
    sshKey: 'ssh-ed25519 AAAA user@host',
    userDataSecretRef: { name: 'cloud-init' },
    restartRequestedAt: '2024-05-01T12:00:00Z',
    ...overrides,
  };
}
