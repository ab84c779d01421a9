import { InfoCard, Link } from '@backstage/core-components';
import {
  Box,
  Button,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import OpenInNewIcon from '@material-ui/icons/OpenInNew';
import {
  aapJobUrl,
  LifecycleEvent,
  ProvisioningJob,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { formatDuration } from '../../lib/instances';
import { hasAapJob, jobDurationMs, jobLabel } from '../../lib/jobs';
import { JobStateStatus } from '../status/StatusLabel';
import { CARD_TITLE_PROPS } from '../status/cardTitle';

export interface JobTimelineCardProps {
  /** Oldest first. */
  jobs: ProvisioningJob[];
  events?: LifecycleEvent[];
  selectedJobID?: string;
  onSelect: (jobID: string) => void;
  now: number;
  /** AAP's web UI link pattern (GET /settings); no "Open in AAP" links without it. */
  aapJobUrlTemplate?: string;
}

const useStyles = makeStyles(theme => ({
  // Ids, states and times stay on one line; the controller's message takes the rest.
  nowrap: { whiteSpace: 'nowrap' },
  message: { wordBreak: 'break-word', width: '100%' },
  // MUI's selected row is tinted with the secondary (pink) colour, which reads as an error.
  row: {
    '&.Mui-selected, &.Mui-selected:hover': {
      backgroundColor: theme.palette.action.selected,
    },
  },
}));

const AapLink = ({
  job,
  template,
}: {
  job: ProvisioningJob;
  template?: string;
}) => {
  const url = aapJobUrl(template, job.jobID);
  if (!url) return null;
  return (
    <Link
      to={url}
      target="_blank"
      rel="noopener noreferrer"
      aria-label={`Open ${jobLabel(job).toLowerCase()} in AAP`}
    >
      <Box display="inline-flex" alignItems="center" style={{ gap: 2 }}>
        AAP <OpenInNewIcon fontSize="inherit" />
      </Box>
    </Link>
  );
};

/** Every provision and deprovision job of the instance, oldest first. */
export const JobTimelineCard = ({
  jobs,
  events,
  selectedJobID,
  onSelect,
  now,
  aapJobUrlTemplate,
}: JobTimelineCardProps) => {
  const classes = useStyles();
  return (
    <InfoCard
      titleTypographyProps={CARD_TITLE_PROPS}
      title="Job timeline"
      subheader="Every AAP job the controller launched for this VM, oldest first"
    >
      {jobs.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No jobs yet. The controller launches the provision job within a few
          seconds of your request.
        </Typography>
      ) : (
        <Table size="small" aria-label="Job timeline">
          <TableHead>
            <TableRow>
              <TableCell className={classes.nowrap}>Job</TableCell>
              <TableCell className={classes.nowrap}>State</TableCell>
              <TableCell className={classes.nowrap}>Launched</TableCell>
              <TableCell className={classes.nowrap}>Duration</TableCell>
              <TableCell>Message</TableCell>
              <TableCell>
                <Typography variant="srOnly">Output</Typography>
              </TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {jobs.map(job => {
              const duration = jobDurationMs(job, events, now);
              const selected = job.jobID === selectedJobID;
              return (
                <TableRow
                  key={`${job.type}-${job.jobID}`}
                  selected={selected}
                  className={classes.row}
                >
                  <TableCell className={classes.nowrap}>
                    <Typography variant="body2" style={{ fontWeight: 600 }}>
                      {jobLabel(job)}
                    </Typography>
                  </TableCell>
                  <TableCell className={classes.nowrap}>
                    <JobStateStatus state={job.state} />
                  </TableCell>
                  <TableCell title={job.timestamp} className={classes.nowrap}>
                    {new Date(job.timestamp).toLocaleTimeString()}
                  </TableCell>
                  <TableCell className={classes.nowrap}>
                    {duration === undefined ? '—' : formatDuration(duration)}
                  </TableCell>
                  <TableCell className={classes.message}>
                    {job.message || '—'}
                  </TableCell>
                  <TableCell align="right">
                    {hasAapJob(job) ? (
                      <Box
                        display="flex"
                        alignItems="center"
                        justifyContent="flex-end"
                        style={{ gap: 8 }}
                        className={classes.nowrap}
                      >
                        <Button
                          size="small"
                          color="primary"
                          aria-pressed={selected}
                          aria-label={`Show output of ${jobLabel(job).toLowerCase()}`}
                          onClick={() => onSelect(job.jobID)}
                        >
                          Output
                        </Button>
                        <AapLink job={job} template={aapJobUrlTemplate} />
                      </Box>
                    ) : (
                      <Typography variant="caption" color="textSecondary">
                        no AAP job yet
                      </Typography>
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
    </InfoCard>
  );
};
