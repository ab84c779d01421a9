import { useNavigate } from 'react-router-dom';
import {
  ContentHeader,
  EmptyState,
  Progress,
  SupportButton,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import { vmLifecycleApiRef } from '../../api';
import { useCurrentUserRef } from '../../hooks/useCurrentUser';
import { useLiveData } from '../../hooks/useLiveData';
import { errorMessage } from '../../lib/errors';
import { instanceRouteRef } from '../../routes';
import { InstanceTable } from '../InstanceTable';
import { RequestVmButton } from '../RequestVmDialog';
import { LiveIndicator } from '../status/LiveIndicator';

const MyInstances = ({ userRef }: { userRef: string }) => {
  const api = useApi(vmLifecycleApiRef);
  const navigate = useNavigate();
  const instanceLink = useRouteRef(instanceRouteRef);
  const data = useLiveData(`requestedBy=${userRef}`, () =>
    api.listInstances({ requestedBy: userRef }),
  );
  const request = (
    <RequestVmButton
      onRequested={created =>
        navigate(
          instanceLink({
            namespace: created.metadata.namespace,
            name: created.metadata.name,
          }),
        )
      }
    />
  );

  let body;
  if (data.loading) {
    body = <Progress />;
  } else if (data.error && !data.value) {
    body = (
      <WarningPanel
        defaultExpanded
        severity="error"
        title="Could not load your virtual machines"
      >
        <Typography paragraph>{errorMessage(data.error)}</Typography>
        <Button variant="outlined" onClick={data.refresh}>
          Retry
        </Button>
      </WarningPanel>
    );
  } else if (!data.value?.length) {
    body = (
      <EmptyState
        missing="data"
        title="You have no virtual machines yet"
        description="Pick a template, give the VM a name and press Request. The portal shows every step while Ansible Automation Platform builds it, usually in a minute or two."
        action={request}
      />
    );
  } else {
    body = (
      <>
        {data.error && (
          <Box mb={2}>
            <WarningPanel
              defaultExpanded
              severity="warning"
              title="Could not refresh the list"
            >
              {errorMessage(data.error)}
            </WarningPanel>
          </Box>
        )}
        <InstanceTable
          title="Your virtual machines"
          subtitle="Click a name to see its jobs, live output and lifecycle"
          instances={data.value}
        />
      </>
    );
  }

  return (
    <>
      <ContentHeader title="My instances" description="The VMs you requested">
        <Box display="flex" alignItems="center" style={{ gap: 16 }}>
          <LiveIndicator live={data.live} />
          {request}
          <SupportButton>
            Request a VM from a template. The portal records the request, the
            controller launches an Ansible Automation Platform job that builds
            the VM, and this page follows it live. Deleting a VM runs a
            deprovision job that removes it.
          </SupportButton>
        </Box>
      </ContentHeader>
      {body}
    </>
  );
};

/** The VMs the signed-in user requested. */
export const MyInstancesTab = () => {
  const { userRef, error } = useCurrentUserRef();
  if (error) {
    return (
      <WarningPanel
        defaultExpanded
        severity="error"
        title="Could not tell who you are"
      >
        {error.message}
      </WarningPanel>
    );
  }
  return userRef ? <MyInstances userRef={userRef} /> : <Progress />;
};
