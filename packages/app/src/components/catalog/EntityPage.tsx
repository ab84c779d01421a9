import { Grid } from '@material-ui/core';
import { EntityLayout, EntitySwitch, isKind } from '@backstage/plugin-catalog';
import { EntityVmLifecycleCard } from '@vm-selfservice/plugin-vm-lifecycle';
import { EntitySummaryCard } from './EntitySummaryCard';

/** Components and groups own VMs: their overview lists them and can request new ones. */
const vmOwnerOverview = (
  <Grid container spacing={3} alignItems="stretch">
    <Grid item md={6} xs={12}>
      <EntitySummaryCard />
    </Grid>
    <Grid item md={6} xs={12}>
      <EntityVmLifecycleCard />
    </Grid>
  </Grid>
);

const overviewContent = (
  <Grid container spacing={3} alignItems="stretch">
    <Grid item md={6} xs={12}>
      <EntitySummaryCard />
    </Grid>
  </Grid>
);

/** The entity's VMs on a tab of their own, beside the overview's card. */
const vmTab = (
  <EntityLayout.Route path="/virtual-machines" title="Virtual Machines">
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <EntityVmLifecycleCard />
      </Grid>
    </Grid>
  </EntityLayout.Route>
);

const vmOwnerEntityPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      {vmOwnerOverview}
    </EntityLayout.Route>
    {vmTab}
  </EntityLayout>
);

/** A system's VMs are its components' (the tab lists them; the overview stays as it was). */
const systemEntityPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      {overviewContent}
    </EntityLayout.Route>
    {vmTab}
  </EntityLayout>
);

const defaultEntityPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      {overviewContent}
    </EntityLayout.Route>
  </EntityLayout>
);

export const entityPage = (
  <EntitySwitch>
    <EntitySwitch.Case if={isKind('component')}>
      {vmOwnerEntityPage}
    </EntitySwitch.Case>
    <EntitySwitch.Case if={isKind('group')}>
      {vmOwnerEntityPage}
    </EntitySwitch.Case>
    <EntitySwitch.Case if={isKind('system')}>
      {systemEntityPage}
    </EntitySwitch.Case>
    <EntitySwitch.Case>{defaultEntityPage}</EntitySwitch.Case>
  </EntitySwitch>
);
