import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import { humanizeEntityRef, useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  List,
  ListItem,
  ListItemText,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { useApiGroupNames } from '../../hooks/useApiGroup';
import { useInstancePages } from '../../hooks/useInstancePages';
import { errorMessage } from '../../lib/errors';
import { entityVmScope } from '../../lib/entityScope';
import { latestJobOf, sizeText } from '../../lib/instances';
import { jobLabel } from '../../lib/jobs';
import { instanceRouteRef, rootRouteRef } from '../../routes';
import { InstancePager } from '../InstanceTable';
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

export const ENTITY_CARD_PAGE_SIZE = 10;

/**
 * The VMs of the entity of the page, with "Request VM". A group or user owns its VMs; a component's
 * VMs are owned by the component's owner and name the component in the component annotation.
 */
export const EntityVmLifecycleCard = () => {
  const { entity } = useEntity();
  const names = useApiGroupNames();
  const rootLink = useRouteRef(rootRouteRef);
  const { owner, component, components } = entityVmScope(entity);
  // A system's VMs are those of its components: the server pages by owner and the components
  // are picked out of each page here, so such a page can be shorter than the page size. A
  // component's VMs are filtered by the server.
  const belongs = (i: ComputeInstance) => {
    if (!components) return true;
    const of = i.metadata.annotations?.[names.componentAnnotation];
    return of !== undefined && components.includes(of);
  };
  const pages = useInstancePages(
    {
      // An entity without an owner owns nothing: ask for an owner no VM can have.
      owner: owner || 'group:default/-',
      component: component || undefined,
      sort: 'name',
      order: 'asc',
    },
    ENTITY_CARD_PAGE_SIZE,
  );
  const data = {
    ...pages,
    items: owner ? pages.items?.filter(belongs) : [],
    // For a system the server counted the owner's VMs, not the system's.
    total: components ? undefined : pages.total,
  };
  const display = humanizeEntityRef(entity, { defaultKind: entity.kind });

  let body;
  if (data.loading) {
    body = <Progress />;
  } else if (data.error && !data.items) {
    body = (
      <Alert severity="error">
        Could not load the virtual machines of {display}:{' '}
        {errorMessage(data.error)}
      </Alert>
    );
  } else if (!data.items?.length) {
    body = (
      <Typography variant="body2" color="textSecondary">
        {display} owns no virtual machines yet. Request one here and it is
        recorded as owned by {display}.
      </Typography>
    );
  } else {
    body = (
      <>
        <List
          dense
          disablePadding
          aria-label={`Virtual machines of ${display}`}
          style={{ opacity: data.pending ? 0.6 : 1 }}
        >
          {data.items.map(i => (
            <InstanceItem
              key={`${i.metadata.namespace}/${i.metadata.name}`}
              instance={i}
            />
          ))}
        </List>
        <InstancePager pages={data} />
      </>
    );
  }

  return (
    <InfoCard
      titleTypographyProps={CARD_TITLE_PROPS}
      title="Virtual machines"
      subheader={`Owned by ${display}`}
      action={
        <Box pt={1} pr={1}>
          <RequestVmButton
            owner={owner}
            component={component}
            variant="outlined"
          />
        </Box>
      }
      deepLink={{ title: 'Open the Virtual Machines page', link: rootLink() }}
    >
      {body}
    </InfoCard>
  );
};
