import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { humanizeEntityRef, useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  Box,
  List,
  ListItem,
  ListItemText,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { useLiveData } from '../../hooks/useLiveData';
import { errorMessage } from '../../lib/errors';
import { latestJobOf, sizeText } from '../../lib/instances';
import { jobLabel } from '../../lib/jobs';
import { instanceRouteRef, rootRouteRef } from '../../routes';
import { RequestVmButton } from '../RequestVmDialog';
import { PhaseStatus } from '../status/StatusLabel';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

const InstanceItem = ({ instance }: { instance: ComputeInstance }) => {
  const instanceLink = useRouteRef(instanceRouteRef);
  const { namespace, name } = instance.metadata;
  const job = latestJobOf(instance);
  return (
    <ListItem divider>
      <ListItemText
        primary={<Link to={instanceLink({ namespace, name })}>{name}</Link>}
        secondary={[
          instance.spec.templateID,
          sizeText(instance),
          instance.status?.ipAddress,
          job ? `${jobLabel(job)}: ${job.state}` : undefined,
        ]
          .filter(Boolean)
          .join(' · ')}
      />
      <Box ml={2} flexShrink={0}>
        <PhaseStatus phase={instance.status?.phase} />
      </Box>
    </ListItem>
  );
};

/** The VMs owned by the entity of the page, with "Request VM" that makes the entity the owner. */
export const EntityVmLifecycleCard = () => {
  const { entity } = useEntity();
  const api = useApi(vmLifecycleApiRef);
  const rootLink = useRouteRef(rootRouteRef);
  const owner = stringifyEntityRef(entity);
  const data = useLiveData(`owner=${owner}`, () =>
    api.listInstances({ owner }),
  );
  const display = humanizeEntityRef(entity, { defaultKind: entity.kind });

  let body;
  if (data.loading) {
    body = <Progress />;
  } else if (data.error && !data.value) {
    body = (
      <Alert severity="error">
        Could not load the virtual machines of {display}:{' '}
        {errorMessage(data.error)}
      </Alert>
    );
  } else if (!data.value?.length) {
    body = (
      <Typography variant="body2" color="textSecondary">
        {display} owns no virtual machines yet. Request one here and it is
        recorded as owned by {display}.
      </Typography>
    );
  } else {
    body = (
      <List dense disablePadding aria-label={`Virtual machines of ${display}`}>
        {data.value.map(i => (
          <InstanceItem
            key={`${i.metadata.namespace}/${i.metadata.name}`}
            instance={i}
          />
        ))}
      </List>
    );
  }

  return (
    <InfoCard
      titleTypographyProps={CARD_TITLE_PROPS}
      title="Virtual machines"
      subheader={`Owned by ${display}`}
      action={
        <Box pt={1} pr={1}>
          <RequestVmButton owner={owner} variant="outlined" />
        </Box>
      }
      deepLink={{ title: 'Open the Virtual Machines page', link: rootLink() }}
    >
      {body}
    </InfoCard>
  );
};
