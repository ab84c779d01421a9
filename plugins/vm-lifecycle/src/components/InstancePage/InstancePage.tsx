import { useEffect, useRef, useState } from 'react';
import { useParams } from 'react-router-dom';
import {
  Content,
  EmptyState,
  Header,
  HeaderLabel,
  LinkButton,
  Page,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { Box, Button, Grid, Typography } from '@material-ui/core';
import { Alert, AlertTitle } from '@material-ui/lab';
import {
  ComputeInstance,
  InstanceSignal,
  isLaunchIntent,
  isTerminalJobState,
  LifecycleEvent,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { rootRouteRef } from '../../routes';
import { useLiveData, useNow } from '../../hooks/useLiveData';
import { usePortalSettings } from '../../hooks/usePortalSettings';
import { errorMessage, isNotFound } from '../../lib/errors';
import { hasAapJob } from '../../lib/jobs';
import {
  asDeleted,
  isDeleting,
  jobsOldestFirst,
  requestedByOf,
  runningProvisionJob,
  shortEntityRef,
} from '../../lib/instances';
import { PhaseStatus } from '../status/StatusLabel';
import { ConditionsCard } from './ConditionsCard';
import { InstanceActions } from './InstanceActions';
import { JobOutputCard } from './JobOutputCard';
import { JobTimelineCard } from './JobTimelineCard';
import { LifecycleDiagrams } from './LifecycleDiagrams';
import { SpecCard } from './SpecCard';
import { StatusCard } from './StatusCard';
import { StuckDeletionCard } from './StuckDeletionCard';
import { ExpiryCard } from './ExpiryCard';
import { YamlButton } from './YamlDialog';

const DeletingBanner = ({ instance }: { instance: ComputeInstance }) => {
  const provision = runningProvisionJob(instance);
  const deprovision = jobsOldestFirst(instance)
    .filter(j => j.type === 'deprovision')
    .pop();
  let step = 'The controller is starting the deprovision job.';
  if (provision) {
    step = isLaunchIntent(provision)
      ? 'The provision job was being launched when you deleted the VM; the controller first finds out whether AAP started it (and cancels it if so) before it removes the VM.'
      : `The provision job ${provision.jobID} is still running; the controller is cancelling it before it removes the VM.`;
  } else if (deprovision && isLaunchIntent(deprovision)) {
    step = 'The deprovision job is launching…';
  } else if (deprovision && !isTerminalJobState(deprovision.state)) {
    step = `The deprovision job ${deprovision.jobID} is removing the VM.`;
  } else if (
    deprovision?.state === 'Failed' ||
    deprovision?.state === 'Canceled'
  ) {
    step = `The deprovision job ${deprovision.jobID} did not succeed; the controller retries it after a backoff so nothing is left behind.`;
  }
  return (
    <Box mb={3}>
      <Alert severity="info" role="status">
        <AlertTitle>Deleting {instance.metadata.name}</AlertTitle>
        {step} This page updates by itself and tells you when the VM is gone.
      </Alert>
    </Box>
  );
};

interface DeletedHistory {
  deletedAt: string;
  instance: ComputeInstance;
  events: LifecycleEvent[];
}

/**
 * The newest deleted VM of this name the caller may read, once the live one answers 404:
 * undefined while it loads, null when there is none (or it could not be read).
 */
function useDeletedHistory(
  namespace: string,
  name: string,
  gone: boolean,
): DeletedHistory | null | undefined {
  const api = useApi(vmLifecycleApiRef);
  const [history, setHistory] = useState<DeletedHistory | null>();
  useEffect(() => {
    setHistory(undefined);
    if (!gone) return undefined;
    let cancelled = false;
    (async () => {
      const [latest] = await api.listDeletedInstances(namespace, name);
      if (!latest) return null;
      const [deleted, events] = await Promise.all([
        api.getDeletedInstance(latest.uid),
        api.listDeletedInstanceEvents(latest.uid),
      ]);
      return { ...deleted, events };
    })()
      .catch(() => null)
      .then(found => {
        if (!cancelled) setHistory(found);
      });
    return () => {
      cancelled = true;
    };
  }, [api, namespace, name, gone]);
  return history;
}

/** One VM: status, spec, jobs and their output, and its lifecycle as diagrams. */
export const InstancePage = () => {
  const { namespace = '', name = '' } = useParams();
  const api = useApi(vmLifecycleApiRef);
  const rootLink = useRouteRef(rootRouteRef);
  const now = useNow();
  const settings = usePortalSettings();
  const [deletedSignal, setDeletedSignal] = useState(false);

  const isThisInstance = (s: InstanceSignal) => {
    const match = s.namespace === namespace && s.name === name;
    if (match && s.deleted) setDeletedSignal(true);
    return match;
  };
  const instance = useLiveData(
    `${namespace}/${name}`,
    () => api.getInstance(namespace, name),
    {
      isRelevant: isThisInstance,
    },
  );
  const events = useLiveData(
    `${namespace}/${name}`,
    () => api.listEvents(namespace, name),
    {
      isRelevant: s => s.namespace === namespace && s.name === name,
    },
  );

  // Jobs are followed automatically (the newest one) until the user picks one.
  const [pickedJobID, setPickedJobID] = useState<string>();
  const seenKey = useRef('');
  useEffect(() => {
    if (seenKey.current !== `${namespace}/${name}`) {
      seenKey.current = `${namespace}/${name}`;
      setPickedJobID(undefined);
      setDeletedSignal(false);
    }
  }, [namespace, name]);

  const gone = isNotFound(instance.error);
  const history = useDeletedHistory(namespace, name, gone);
  // A VM that is gone is shown from its history (its last state, by uid) when the server kept it.
  const value = instance.value ?? history?.instance;
  const back = (
    // MUI marks every anchor-rendered button as role="button"; this one navigates, so it is a link.
    <LinkButton to={rootLink()} variant="contained" color="primary" role="link">
      Back to Virtual Machines
    </LinkButton>
  );

  const header = (
    <Header
      title={name}
      type="Virtual Machines"
      typeLink={rootLink()}
      subtitle={
        value
          ? `Namespace ${namespace} · template ${value.spec.templateID}`
          : `Namespace ${namespace}`
      }
    >
      {value && !gone && (
        <>
          <HeaderLabel
            label="Phase"
            value={<PhaseStatus phase={value.status?.phase} />}
          />
          <HeaderLabel
            label="Requested by"
            value={shortEntityRef(requestedByOf(value)) || '—'}
          />
        </>
      )}
    </Header>
  );

  if (instance.loading) {
    return (
      <Page themeId="tool">
        {header}
        <Content>
          <Progress />
        </Content>
      </Page>
    );
  }

  if (gone && !value && history === undefined) {
    return (
      <Page themeId="tool">
        {header}
        <Content>
          <Progress />
        </Content>
      </Page>
    );
  }

  if (gone && !value) {
    return (
      <Page themeId="tool">
        {header}
        <Content>
          <EmptyState
            missing="data"
            title={`There is no VM named ${name} in namespace ${namespace}`}
            description="It may have been deleted, or the link is wrong. Your VMs are listed on the Virtual Machines page."
            action={back}
          />
        </Content>
      </Page>
    );
  }

  if (!value) {
    return (
      <Page themeId="tool">
        {header}
        <Content>
          <WarningPanel
            defaultExpanded
            severity="error"
            title={`Could not load ${name}`}
          >
            <Typography paragraph>{errorMessage(instance.error)}</Typography>
            <Button variant="outlined" onClick={instance.refresh}>
              Retry
            </Button>
          </WarningPanel>
        </Content>
      </Page>
    );
  }

  const deleted = gone || deletedSignal;
  const shown = deleted ? asDeleted(value) : value;
  const jobs = jobsOldestFirst(shown);
  // By default the newest job AAP has: a launch that is still an intent has no output yet.
  const selectedJobID =
    pickedJobID ?? [...jobs].reverse().find(hasAapJob)?.jobID;
  const selectedJob = jobs.find(j => j.jobID === selectedJobID);
  const eventList: LifecycleEvent[] = history?.events ?? events.value ?? [];
  const finalDeprovision = jobs.filter(j => j.type === 'deprovision').pop();

  return (
    <Page themeId="tool">
      {header}
      <Content>
        {deleted ? (
          <Box mb={3}>
            <Alert severity="success" role="status" action={back}>
              <AlertTitle>{name} has been deleted</AlertTitle>
              {finalDeprovision
                ? `Its deprovision job ${finalDeprovision.jobID} ended ${finalDeprovision.state}`
                : 'It was removed before any deprovision job ran'}
              {history
                ? ` and the record is gone (${new Date(history.deletedAt).toLocaleString()}).`
                : ' and the record is gone.'}{' '}
              Below is what happened, as last seen.
            </Alert>
          </Box>
        ) : (
          <>
            {isDeleting(value) && <DeletingBanner instance={value} />}
            <Box
              display="flex"
              justifyContent="flex-end"
              mb={2}
              style={{ gap: 8 }}
            >
              <YamlButton instance={value} />
              <InstanceActions instance={value} onChanged={instance.refresh} />
            </Box>
          </>
        )}
        {instance.error && !gone && (
          <Box mb={2}>
            <Alert severity="warning">
              Could not refresh: {errorMessage(instance.error)}. Showing what
              was last loaded.
            </Alert>
          </Box>
        )}
        {!deleted && (
          <Box mb={2}>
            <StuckDeletionCard instance={value} onChanged={instance.refresh} />
          </Box>
        )}
        {!deleted && (
          <ExpiryCard instance={value} onChanged={instance.refresh} now={now} />
        )}
        <Grid container spacing={3}>
          <Grid item xs={12} md={6}>
            <StatusCard instance={shown} now={now} deleted={deleted} />
          </Grid>
          <Grid item xs={12} md={6}>
            <SpecCard spec={value.spec} />
          </Grid>
          <Grid item xs={12}>
            <JobTimelineCard
              jobs={jobs}
              events={eventList}
              selectedJobID={selectedJobID}
              onSelect={setPickedJobID}
              now={now}
              aapJobUrlTemplate={settings?.aapJobUrlTemplate}
            />
          </Grid>
          <Grid item xs={12} hidden={Boolean(history)}>
            <JobOutputCard
              namespace={namespace}
              name={name}
              job={selectedJob}
            />
          </Grid>
          <Grid item xs={12}>
            <LifecycleDiagrams
              name={name}
              phase={value.status?.phase}
              deleted={deleted}
              requestedAt={value.metadata.creationTimestamp}
              events={eventList}
            />
          </Grid>
          <Grid item xs={12}>
            <ConditionsCard
              conditions={value.status?.conditions}
              phase={value.status?.phase}
              now={now}
            />
          </Grid>
        </Grid>
      </Content>
    </Page>
  );
};
