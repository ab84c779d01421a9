import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { Link, Typography } from '@material-ui/core';
import { vmLifecycleApiRef } from '../../api';
import { errorMessage } from '../../lib/errors';

export interface DownloadOutputLinkProps {
  namespace: string;
  name: string;
  jobID: string;
  /** Characters of the whole output, shown so the size is known before the download. */
  totalChars: number;
}

/**
 * "Download full output": the whole text as a file. The backend needs the user's Backstage token,
 * which a plain <a href> would not send, so the text is fetched through the API client and handed
 * to the browser as a file.
 */
export const DownloadOutputLink = ({
  namespace,
  name,
  jobID,
  totalChars,
}: DownloadOutputLinkProps) => {
  const api = useApi(vmLifecycleApiRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const text = await api.getFullJobOutput(namespace, name, jobID);
      const url = URL.createObjectURL(
        new Blob([text], { type: 'text/plain;charset=utf-8' }),
      );
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `${namespace}-${name}-job-${jobID}.txt`;
      document.body.appendChild(anchor);
      anchor.click();
      anchor.remove();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(`Could not download the output: ${errorMessage(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Typography variant="body2" color="textSecondary" style={{ marginTop: 8 }}>
      Only the end of the output is shown ({totalChars.toLocaleString('en-US')}{' '}
      characters in all).{' '}
      <Link
        component="button"
        variant="body2"
        onClick={download}
        disabled={busy}
      >
        {busy ? 'Downloading…' : 'Download full output'}
      </Link>
      {error && (
        <Typography variant="body2" color="error" component="span" role="alert">
          {' '}
          {error}
        </Typography>
      )}
    </Typography>
  );
};
