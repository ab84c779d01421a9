import { useEffect } from 'react';
import { InfoCard, LogViewer, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Typography } from '@material-ui/core';
import useInterval from 'react-use/esm/useInterval';
import {
  isTerminalJobState,
  JobOutput,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../../api';
import { useLiveData } from '../../hooks/useLiveData';
import { errorMessage, isNotFound } from '../../lib/errors';
import { jobLabel } from '../../lib/jobs';
import { JobStateStatus } from '../status/StatusLabel';
import { CARD_TITLE_PROPS } from '../status/cardTitle';
import { DownloadOutputLink } from './DownloadOutputLink';

const NO_OUTPUT: JobOutput = { text: '', totalChars: 0, truncated: false };

/** Job output changes without any status change, so a running job's output is polled. */
const RUNNING_OUTPUT_POLL_MS = 2000;

/** The log viewer sizes itself to its container; this is about 20 lines. */
const LOG_HEIGHT = 440;

export interface JobOutputCardProps {
  namespace: string;
  name: string;
  job?: ProvisioningJob;
}

export const JobOutputCard = ({ namespace, name, job }: JobOutputCardProps) => {
  const api = useApi(vmLifecycleApiRef);
  const running = job !== undefined && !isTerminalJobState(job.state);
  const output = useLiveData(
    `${namespace}/${name}/${job?.jobID}`,
    async () =>
      job ? api.getJobOutput(namespace, name, job.jobID) : NO_OUTPUT,
    { isRelevant: s => s.namespace === namespace && s.name === name },
  );
  useInterval(output.refresh, running ? RUNNING_OUTPUT_POLL_MS : null);
  // One more fetch when the job changes state, so the final lines appear when it ends.
  const { refresh } = output;
  const state = job?.state;
  useEffect(() => {
    if (state) refresh();
  }, [state, refresh]);

  const renderBody = () => {
    if (!job) {
      return (
        <Typography variant="body2" color="textSecondary">
          No job has been launched yet.
        </Typography>
      );
    }
    if (output.loading) return <Progress />;
    if (output.error && output.value === undefined) {
      return (
        <Typography variant="body2" color="textSecondary">
          {isNotFound(output.error)
            ? 'AAP has no output for this job (it may not have started yet, or it was purged).'
            : `Could not load the output: ${errorMessage(output.error)}`}
        </Typography>
      );
    }
    const text = output.value?.text ?? '';
    let shown = text;
    if (!text.trim()) {
      shown = running
        ? 'Waiting for the first output from AAP…'
        : '(no output)';
    }
    // Backstage's log viewer: Ansible's colours, search, line links, and it follows the end.
    return (
      <Box
        role="log"
        aria-label={`Output of ${jobLabel(job).toLowerCase()}`}
        aria-live="off"
        height={LOG_HEIGHT}
      >
        <LogViewer text={shown} />
      </Box>
    );
  };

  const renderDownload = () => {
    if (!job || !output.value?.truncated) return null;
    return (
      <DownloadOutputLink
        namespace={namespace}
        name={name}
        jobID={job.jobID}
        totalChars={output.value.totalChars}
      />
    );
  };

  return (
    <InfoCard
      titleTypographyProps={CARD_TITLE_PROPS}
      title={job ? `Output of ${jobLabel(job).toLowerCase()}` : 'Job output'}
      subheader={
        running
          ? 'Live: refreshed every 2 seconds while the job runs'
          : 'What the playbook printed'
      }
      action={job ? <JobStateStatus state={job.state} /> : undefined}
    >
      {renderBody()}
      {renderDownload()}
    </InfoCard>
  );
};
