import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { configApiRef, identityApiRef } from '@backstage/core-plugin-api';
import { vmLifecycleApiRef } from '../../api';
import {
  mockVmApi,
  responseError,
  TEMPLATES,
} from '../../__testUtils__/fixtures';
import { RequestVmDialog } from './RequestVmDialog';

const user = () => userEvent.setup();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** "Name *" (required), not "Namespace". */
const NAME = /^Name\W*$/;

async function renderDialog(
  api = mockVmApi(),
  props: { owner?: string; onRequested?: jest.Mock; onClose?: jest.Mock } = {},
) {
  const onClose = props.onClose ?? jest.fn();
  const onRequested = props.onRequested ?? jest.fn();
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [vmLifecycleApiRef, api],
        [configApiRef, mockApis.config()],
        [identityApiRef, mockApis.identity()],
      ]}
    >
      <RequestVmDialog
        open
        onClose={onClose}
        onRequested={onRequested}
        owner={props.owner}
      />
    </TestApiProvider>,
  );
  const dialog = await screen.findByRole('dialog', {
    name: 'Request a virtual machine',
  });
  await within(dialog).findByLabelText(NAME);
  return { api, dialog, onClose, onRequested };
}

async function setField(label: RegExp | string, value: string) {
  const input = screen.getByLabelText(label);
  await userEvent.clear(input);
  if (value) await userEvent.type(input, value);
}

describe('RequestVmDialog', () => {
  it('pre-selects the first template and fills in its defaults', async () => {
    await renderDialog();
    expect(screen.getByLabelText('Template')).toHaveValue('small');
    expect(screen.getByLabelText('CPU cores')).toHaveValue(2);
    expect(screen.getByLabelText('Memory (GiB)')).toHaveValue(4);
    expect(screen.getByLabelText('Boot disk (GiB)')).toHaveValue(20);
    expect(screen.getByLabelText('Image')).toHaveValue(
      'quay.io/containerdisks/fedora:latest',
    );
    expect(
      screen.getByText('2 vCPU, 4 GiB: for trying things out'),
    ).toBeInTheDocument();
  });

  it('sends the name, the template and only the fields that differ from its defaults', async () => {
    const { api, onRequested, onClose } = await renderDialog();
    await user().type(screen.getByLabelText(NAME), 'web-1');
    await setField('CPU cores', '4');
    await user().click(screen.getByRole('button', { name: 'Request' }));

    await waitFor(() => expect(api.createInstance).toHaveBeenCalledTimes(1));
    expect(api.createInstance).toHaveBeenCalledWith({
      metadata: { name: 'web-1' },
      spec: { templateID: 'small', cores: 4 },
    });
    await waitFor(() => expect(onRequested).toHaveBeenCalled());
    expect(onClose).toHaveBeenCalled();
  });

  it.each([
    ['Name', NAME, '', 'Name is required'],
    ['Name', NAME, 'Web_1', 'Name must be an RFC 1123 label'],
    [
      'CPU cores',
      'CPU cores',
      '0',
      'CPU cores must be an integer between 1 and 128',
    ],
    [
      'CPU cores',
      'CPU cores',
      '129',
      'CPU cores must be an integer between 1 and 128',
    ],
    [
      'Memory',
      'Memory (GiB)',
      '0',
      'Memory (GiB) must be an integer between 1 and 4096',
    ],
    [
      'Boot disk',
      'Boot disk (GiB)',
      '0',
      'Boot disk (GiB) must be an integer between 1 and 65536',
    ],
    ['Image', 'Image', '', 'Image must be a non-empty string'],
  ])(
    'shows an invalid %s inline and does not send (%s = %p)',
    async (_f, label, value, message) => {
      const { api } = await renderDialog();
      if (label !== NAME) {
        await user().type(screen.getByLabelText(NAME), 'web-1');
      }
      await setField(label, value);
      await user().click(screen.getByRole('button', { name: 'Request' }));

      const input = screen.getByLabelText(label);
      expect(input).toHaveAttribute('aria-invalid', 'true');
      expect(
        await screen.findByText(new RegExp(`^${escape(message)}`)),
      ).toBeInTheDocument();
      expect(api.createInstance).not.toHaveBeenCalled();
    },
  );

  it('shows invalid advanced fields inline, opening the advanced section', async () => {
    const { api } = await renderDialog();
    await user().type(screen.getByLabelText(NAME), 'web-1');
    await user().click(
      screen.getByRole('button', { name: 'Advanced options' }),
    );
    await setField('Namespace', 'Team_A');
    await setField('Additional disks (GiB)', '10, 0');
    // A template without declared parameters offers no free-form parameters field.
    expect(
      screen.queryByLabelText('Template parameters (JSON)'),
    ).not.toBeInTheDocument();
    await user().click(screen.getByRole('button', { name: 'Request' }));

    expect(
      await screen.findByText(/^Namespace must be an RFC 1123 label/),
    ).toBeVisible();
    expect(
      screen.getByText(
        'Additional disks (GiB) must be an integer between 1 and 65536',
      ),
    ).toBeVisible();
    expect(api.createInstance).not.toHaveBeenCalled();
  });

  it('clears an error as soon as the field is fixed', async () => {
    await renderDialog();
    await user().click(screen.getByRole('button', { name: 'Request' }));
    expect(await screen.findByText('Name is required')).toBeInTheDocument();
    await user().type(screen.getByLabelText(NAME), 'ok-name');
    expect(screen.queryByText('Name is required')).not.toBeInTheDocument();
  });

  it("switches to another template's fields, locks what it does not allow and checks its parameters", async () => {
    const { api } = await renderDialog();
    await user().type(screen.getByLabelText(NAME), 'db-1');
    await user().selectOptions(screen.getByLabelText('Template'), 'db');

    expect(screen.getByLabelText('CPU cores')).toHaveValue(4);
    expect(screen.getByLabelText('Image')).toBeDisabled();
    expect(screen.getByLabelText('Boot disk (GiB)')).toBeDisabled();
    expect(screen.getByLabelText(/^Replicas/)).toHaveValue(1);
    expect(
      screen.getByRole('checkbox', { name: 'Nightly backups' }),
    ).toBeChecked();

    await user().click(screen.getByRole('button', { name: 'Request' }));
    expect(
      await screen.findByText('Database engine is required'),
    ).toBeInTheDocument();
    expect(api.createInstance).not.toHaveBeenCalled();

    await user().type(screen.getByLabelText(/^Database engine/), 'postgres');
    await user().click(
      screen.getByRole('checkbox', { name: 'Nightly backups' }),
    );
    await user().click(screen.getByRole('button', { name: 'Request' }));
    await waitFor(() => expect(api.createInstance).toHaveBeenCalled());
    expect(api.createInstance).toHaveBeenCalledWith({
      metadata: { name: 'db-1' },
      spec: {
        templateID: 'db',
        templateParameters: JSON.stringify({
          engine: 'postgres',
          backups: false,
        }),
      },
    });
  });

  it('shows a server error and keeps the dialog open', async () => {
    const error = await responseError(
      409,
      'ConflictError',
      'An instance named web-1 already exists in namespace default',
    );
    const api = mockVmApi({
      createInstance: jest.fn().mockRejectedValue(error),
    });
    const { onClose } = await renderDialog(api);
    await user().type(screen.getByLabelText(NAME), 'web-1');
    await user().click(screen.getByRole('button', { name: 'Request' }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The request was not accepted');
    expect(alert).toHaveTextContent(
      'An instance named web-1 already exists in namespace default',
    );
    expect(screen.getByLabelText(NAME)).toHaveAttribute('aria-invalid', 'true');
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it("puts the server's validation issues under their fields", async () => {
    const error = await responseError(
      400,
      'InputError',
      'spec.cores: must be an integer between 1 and 128; spec.foo: unknown field',
    );
    const api = mockVmApi({
      createInstance: jest.fn().mockRejectedValue(error),
    });
    await renderDialog(api);
    await user().type(screen.getByLabelText(NAME), 'web-1');
    await user().click(screen.getByRole('button', { name: 'Request' }));

    expect(
      await screen.findByText('CPU cores must be an integer between 1 and 128'),
    ).toBeInTheDocument();
    expect(screen.getByText('spec.foo: unknown field')).toBeInTheDocument();
  });

  it('shows a network failure as it is', async () => {
    const api = mockVmApi({
      createInstance: jest
        .fn()
        .mockRejectedValue(new TypeError('Failed to fetch')),
    });
    await renderDialog(api);
    await user().type(screen.getByLabelText(NAME), 'web-1');
    await user().click(screen.getByRole('button', { name: 'Request' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Failed to fetch',
    );
  });

  it('records the owner given by an entity page as the owner annotation', async () => {
    const { api } = await renderDialog(mockVmApi(), {
      owner: 'group:default/team-a',
    });
    expect(screen.getByLabelText('Owner')).toHaveValue('group:default/team-a');
    await user().type(screen.getByLabelText(NAME), 'team-vm');
    await user().click(screen.getByRole('button', { name: 'Request' }));
    await waitFor(() => expect(api.createInstance).toHaveBeenCalled());
    expect(api.createInstance.mock.calls[0][0].metadata).toEqual({
      name: 'team-vm',
      annotations: { 'osac.openshift.io/owner': 'group:default/team-a' },
    });
  });

  it('explains when the templates cannot be loaded', async () => {
    const api = mockVmApi({
      listTemplates: jest.fn().mockRejectedValue(new Error('boom')),
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [vmLifecycleApiRef, api],
          [configApiRef, mockApis.config()],
        ]}
      >
        <RequestVmDialog open onClose={jest.fn()} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('Could not load the VM templates'),
    ).toBeInTheDocument();
    expect(screen.getByText('boom')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Request' })).toBeDisabled();
  });

  it('explains when no template is configured', async () => {
    const api = mockVmApi({ listTemplates: jest.fn().mockResolvedValue([]) });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [vmLifecycleApiRef, api],
          [configApiRef, mockApis.config()],
        ]}
      >
        <RequestVmDialog open onClose={jest.fn()} />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('No VM templates are available'),
    ).toBeInTheDocument();
    expect(TEMPLATES.length).toBeGreaterThan(0);
  });
});
