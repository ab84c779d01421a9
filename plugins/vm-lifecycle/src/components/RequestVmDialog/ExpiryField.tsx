import { TextField } from '@material-ui/core';
import { TemplateLifetime } from '@vm-selfservice/plugin-vm-lifecycle-common';

const DAY_MS = 24 * 60 * 60_000;
// The server counts the maximum from the moment it stores the VM; a little room for clock skew.
const SKEW_MARGIN_MS = 5 * 60_000;

/** Why a lifetime in days is not acceptable, or undefined. */
export function lifetimeProblem(
  days: string,
  lifetime: TemplateLifetime,
): string | undefined {
  const n = Number(days);
  if (!days.trim() || !Number.isFinite(n) || n <= 0)
    return 'Lifetime must be a number of days greater than 0';
  if (n > lifetime.maxDays)
    return `Lifetime must be at most ${lifetime.maxDays} days (the template's maximum)`;
  return undefined;
}

/** The expires-at a request sends for `days`, or undefined for the template's default. */
export function expiresAtFor(
  days: string,
  lifetime: TemplateLifetime,
  now: number = Date.now(),
): string | undefined {
  const n = Number(days);
  if (lifetimeProblem(days, lifetime) || n === lifetime.defaultDays)
    return undefined;
  const ms = Math.min(n * DAY_MS, lifetime.maxDays * DAY_MS - SKEW_MARGIN_MS);
  return new Date(now + ms).toISOString();
}

/** "Expires in N days" with the date it means, within the template's maximum. */
export const ExpiryField = ({
  lifetime,
  days,
  onChange,
  disabled,
}: {
  lifetime: TemplateLifetime;
  days: string;
  onChange: (days: string) => void;
  disabled?: boolean;
}) => {
  const problem = lifetimeProblem(days, lifetime);
  const on = problem
    ? undefined
    : new Date(Date.now() + Number(days) * DAY_MS).toLocaleString();
  return (
    <TextField
      id="vm-request-lifetime"
      label="Expires in (days)"
      type="number"
      inputProps={{ min: 1, max: lifetime.maxDays, step: 1 }}
      value={days}
      onChange={e => onChange(e.target.value)}
      disabled={disabled}
      error={Boolean(problem)}
      helperText={
        problem ??
        `The VM is deleted on ${on}; at most ${lifetime.maxDays} days, and it can be extended up to that`
      }
      variant="outlined"
      margin="dense"
      fullWidth
    />
  );
};
