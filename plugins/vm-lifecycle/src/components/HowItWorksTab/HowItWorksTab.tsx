import { ContentHeader, InfoCard } from '@backstage/core-components';
import { Box, Chip, Grid, Typography } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { PortalSettings } from '../../api';
import { usePortalSettings } from '../../hooks/usePortalSettings';
import { HOW_IT_WORKS_DIAGRAMS } from '../../diagrams/howItWorks';
import {
  phaseStateDescription,
  phaseStateDiagram,
} from '../../diagrams/phaseDiagram';
import { MermaidDiagram } from '../MermaidDiagram';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

const PROVIDER_NAMES = {
  aap: 'AAP Direct (the controller launches and polls AAP job templates itself)',
  eda: 'Event-Driven Ansible (the controller posts events; rulebooks launch the jobs)',
};
const STORE_NAMES = {
  database: 'the portal’s database',
  kubernetes: 'Kubernetes custom resources',
};

/** Which of the flows below applies here, from the backend's public settings. */
const ThisPortal = ({ settings }: { settings: PortalSettings }) => (
  <Box mb={3}>
    <Alert severity="info">
      This portal uses {PROVIDER_NAMES[settings.provider] ?? settings.provider}{' '}
      and keeps its VMs in {STORE_NAMES[settings.store] ?? settings.store}. The
      controller checks running jobs every{' '}
      {Math.round(settings.pollIntervalMs / 1000)} s
      {settings.controllerEnabled
        ? '.'
        : ' (in another replica; this one only serves the API).'}
    </Alert>
  </Box>
);

/** The design in pictures, for someone who has never seen AAP. */
export const HowItWorksTab = () => {
  // Optional context: without it the tab still explains everything.
  const settings = usePortalSettings();
  return (
    <>
      <ContentHeader
        title="How it works"
        description="What happens behind the Request VM and Delete buttons"
      />
      {settings && <ThisPortal settings={settings} />}
      <Grid container spacing={3}>
        {HOW_IT_WORKS_DIAGRAMS.map(d => (
          <Grid item xs={12} key={d.id}>
            <InfoCard
              titleTypographyProps={CARD_TITLE_PROPS}
              title={d.title}
              action={
                settings && d.provider === settings.provider ? (
                  <Box pt={1} pr={1}>
                    <Chip
                      color="primary"
                      size="small"
                      label="Used by this portal"
                    />
                  </Box>
                ) : undefined
              }
            >
              <Typography paragraph>{d.summary}</Typography>
              <MermaidDiagram
                title={d.title}
                description={d.summary}
                text={d.text}
              />
            </InfoCard>
          </Grid>
        ))}
        <Grid item xs={12}>
          <InfoCard
            titleTypographyProps={CARD_TITLE_PROPS}
            title="The phases of a VM"
          >
            <Typography paragraph>
              A VM’s phase follows its latest provision job and its run
              strategy. Deleting overrides everything until the deprovision job
              has succeeded.
            </Typography>
            <MermaidDiagram
              title="Phase state machine"
              description={phaseStateDescription()}
              text={phaseStateDiagram()}
            />
          </InfoCard>
        </Grid>
      </Grid>
    </>
  );
};
