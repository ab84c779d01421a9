import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { readVmLifecycleConfig } from '../config';

const read = (vmLifecycle: JsonObject) =>
  readVmLifecycleConfig(new ConfigReader({ vmLifecycle }));

describe('vmLifecycle.quotas and vmLifecycle.expiry', () => {
  it('reads group quotas by normalised entity ref, and the defaults', () => {
    const { quotas } = read({
      quotas: {
        defaultUser: { maxInstances: 2 },
        defaultGroup: { cores: 8 },
        groups: [{ group: 'team-a', cores: 16, memoryGiB: 64, diskGiB: 0 }],
      },
    });
    expect(quotas.defaultUser).toEqual({ instances: 2 });
    expect(quotas.defaultGroup).toEqual({ cores: 8 });
    expect([...quotas.groups]).toEqual([
      ['group:default/team-a', { cores: 16, memoryGiB: 64, diskGiB: 0 }],
    ]);
  });

  it('has no quotas when none are configured', () => {
    const { quotas } = read({});
    expect(quotas).toEqual({
      defaultUser: undefined,
      defaultGroup: undefined,
      groups: new Map(),
    });
  });

  it.each([
    [
      { groups: [{ group: 'group:default/a', cores: -1 }] },
      /groups\[0\]\.cores: must be an integer >= 0/,
    ],
    [
      { groups: [{ group: 'group:default/a', cpus: 4 }] },
      /groups\[0\]\.cpus: unknown quota key/,
    ],
    [
      { groups: [{ group: 'a' }, { group: 'group:default/a' }] },
      /groups\[1\]\.group: group:default\/a is listed twice/,
    ],
    [
      { defaultUser: { memoryGiB: 1.5 } },
      /defaultUser\.memoryGiB: must be an integer/,
    ],
  ] as Array<[JsonObject, RegExp]>)(
    'refuses %j at startup, naming the key',
    (quotas, message) => {
      expect(() => read({ quotas })).toThrow(message);
    },
  );

  it('reads reminders as durations, 3 days and 1 day by default', () => {
    const day = 24 * 3_600_000;
    expect(read({}).expiry).toEqual({
      remindersBeforeMs: [3 * day, day],
      checkIntervalMs: 60_000,
    });
    expect(
      read({
        expiry: {
          reminders: ['2d', 'PT12H', { hours: 1 }],
          checkInterval: '30s',
        },
      }).expiry,
    ).toEqual({
      remindersBeforeMs: [2 * day, 12 * 3_600_000, 3_600_000],
      checkIntervalMs: 30_000,
    });
    expect(() => read({ expiry: { reminders: ['soon'] } })).toThrow(
      /vmLifecycle\.expiry\.reminders\[0\]/,
    );
    expect(() => read({ expiry: { reminders: '1d' } })).toThrow(
      /must be a list of durations/,
    );
  });
});
