import { ConfigReader } from '@backstage/config';
import { readVmLifecycleConfig } from './config';

const aap = (extra: Record<string, unknown>) =>
  new ConfigReader({
    vmLifecycle: {
      provider: {
        aap: {
          baseUrl: 'https://aap.example.com/api/controller/v2',
          token: 't',
          ...extra,
        },
      },
    },
  });

describe('vmLifecycle.provider.aap.uiUrl', () => {
  it('links jobs to the gateway UI of AAP 2.5+ by default, and to the controller UI of AWX/AAP 2.4', () => {
    expect(
      readVmLifecycleConfig(aap({ uiUrl: 'https://aap.example.com/' })).aap
        ?.jobUrlTemplate,
    ).toBe('https://aap.example.com/execution/jobs/{kind}/{id}/output');
    expect(
      readVmLifecycleConfig(
        aap({ uiUrl: 'https://awx.example.com', uiStyle: 'controller' }),
      ).aap?.jobUrlTemplate,
    ).toBe('https://awx.example.com/#/jobs/{kind}/{id}/output');
  });

  it('gives no links when unset', () => {
    expect(readVmLifecycleConfig(aap({})).aap?.jobUrlTemplate).toBeUndefined();
  });

  it('refuses what is not an http(s) URL or not a known style, naming the key', () => {
    expect(() =>
      readVmLifecycleConfig(aap({ uiUrl: 'aap.example.com' })),
    ).toThrow(/vmLifecycle\.provider\.aap\.uiUrl/);
    expect(() =>
      readVmLifecycleConfig(aap({ uiUrl: 'ftp://aap.example.com' })),
    ).toThrow(/vmLifecycle\.provider\.aap\.uiUrl: must be an http\(s\) URL/);
    expect(() =>
      readVmLifecycleConfig(
        aap({ uiUrl: 'https://aap.example.com', uiStyle: 'tower' }),
      ),
    ).toThrow(/vmLifecycle\.provider\.aap\.uiStyle/);
  });
});
