import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef } from '@backstage/core-plugin-api';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  ComputeInstance,
  VmTemplate,
  vmInstanceExpiryExtendPermission,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import {
  GROUP,
  makeInstance,
  mockVmApi,
  TEMPLATES,
} from '../../__testUtils__/fixtures';
import { ExpiryCard } from './ExpiryCard';

const DAY = 24 * 3_600_000;
const CREATED = '2026-01-01T10:00:00.000Z';
const EXPIRES = '2026-01-08T10:00:00.000Z';
const NOW = Date.parse('2026-01-05T10:00:00.000Z');
const DEV: VmTemplate = {
  ...TEMPLATES[0],
  lifetime: { defaultDays: 7, maxDays: 30 },
};

/** A fresh name per test: usePermission caches its answers by resource. */
function expiring(
  name: string,
  expiresAt: string | undefined = EXPIRES,
): ComputeInstance {
  const i = makeInstance(name, { creationTimestamp: CREATED });
  if (expiresAt) i.metadata.annotations![`${GROUP}/expires-at`] = expiresAt;
  return i;
}

async function renderCard(instance: ComputeInstance, mayExtend: boolean) {
  const api = mockVmApi({ listTemplates: jest.fn(async () => [DEV]) });
  const onChanged = jest.fn();
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [configApiRef, mockApis.config()],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              request.permission.name ===
                vmInstanceExpiryExtendPermission.name && !mayExtend
                ? ('DENY' as any)
                : ('ALLOW' as any),
          }),
        ],
      ]}
    >
      <ExpiryCard instance={instance} now={NOW} onChanged={onChanged} />
    </TestApiProvider>,
  );
  return { api, onChanged };
}

describe('ExpiryCard', () => {
  it('shows when the VM expires and how far it can be extended', async () => {
    await renderCard(expiring('vm-1'), true);
    const text = await screen.findByTestId('vm-expiry');
    expect(text).toHaveTextContent(
      `Expires on ${new Date(EXPIRES).toLocaleString()} (in 3 days)`,
    );
    await waitFor(() =>
      expect(screen.getByTestId('vm-expiry')).toHaveTextContent(
        `extended up to ${new Date(Date.parse(CREATED) + 30 * DAY).toLocaleString()}`,
      ),
    );
  });

  it('extends to the chosen time for those allowed, and offers nothing to others', async () => {
    const { api, onChanged } = await renderCard(expiring('vm-2'), true);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Extend' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Extend the expiry of vm-2',
    });
    const input = within(dialog).getByLabelText(
      'New expiry',
    ) as HTMLInputElement;
    // One week more by default.
    expect(new Date(input.value).getTime()).toBe(Date.parse(EXPIRES) + 7 * DAY);
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );
    await waitFor(() => expect(api.extendExpiry).toHaveBeenCalledTimes(1));
    expect(api.extendExpiry).toHaveBeenCalledWith(
      'default',
      'vm-2',
      new Date(Date.parse(EXPIRES) + 7 * DAY).toISOString(),
    );
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
  });

  it('has no Extend button without the permission', async () => {
    await renderCard(expiring('vm-3'), false);
    await screen.findByTestId('vm-expiry');
    // Wait for the templates, so the button would be there if it were allowed.
    await waitFor(() =>
      expect(screen.getByTestId('vm-expiry')).toHaveTextContent(
        'extended up to',
      ),
    );
    expect(
      screen.queryByRole('button', { name: 'Extend' }),
    ).not.toBeInTheDocument();
  });

  it('renders nothing for a VM that does not expire', async () => {
    await renderCard(expiring('vm-4', ''), true);
    expect(screen.queryByText('Expiry')).not.toBeInTheDocument();
  });
});
