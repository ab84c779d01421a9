import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import {
  ContentHeader,
  EmptyState,
  Progress,
  SupportButton,
  WarningPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { Box, Button, Typography } from '@material-ui/core';
import { useCurrentUserRef } from '../../hooks/useCurrentUser';
import { useInstancePages } from '../../hooks/useInstancePages';
import { errorMessage } from '../../lib/errors';
import { instanceRouteRef } from '../../routes';
import { DEFAULT_SORT } from '../../lib/listSort';
import { ListControls, PagedInstanceTable } from '../InstanceTable';
import { RequestVmButton } from '../RequestVmDialog';
import { LiveIndicator } from '../status/LiveIndicator';

export const MY_INSTANCES_PAGE_SIZE = 20;

const MyInstances = ({ userRef }: { userRef: string }) => {
  const navigate = useNavigate();
  const instanceLink = useRouteRef(instanceRouteRef);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState(DEFAULT_SORT);
  const data = useInstancePages(
    { requestedBy: userRef, search: search || undefined, ...sort },
    MY_INSTANCES_PAGE_SIZE,
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
  } else if (data.error && !data.items) {
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
  } else if (!data.items?.length && !search && !data.hasPrevious) {
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
        <Box mb={2}>
          <ListControls
            search={search}
            onSearch={setSearch}
            sort={sort}
            onSort={setSort}
          />
        </Box>
        <PagedInstanceTable
          title={
            data.total !== undefined
              ? `Your virtual machines (${data.total})`
              : 'Your virtual machines'
          }
          subtitle="Click a name to see its jobs, live output and lifecycle"
          pages={data}
          emptyContent={
            <Box p={3}>
              <Typography>
                No virtual machine of yours matches “{search}”.
              </Typography>
            </Box>
          }
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
