import type { IncomingMessage, ServerResponse } from 'node:http';
import { detail, HttpError, readJsonObject, sendJson } from './http';
import type { SimFaults, SimJobInfo, SimVm } from './types';

export interface SimControl {
  vms(): SimVm[];
  jobs(): SimJobInfo[];
  faults(): SimFaults;
  setFaults(faults: SimFaults): void;
  reset(): void;
  requestCounts(): Record<string, number>;
}

/**
 * `/_sim/*`: simulation control with no AWX equivalent. Never delayed, dropped or counted, so
 * a test can always inspect and steer the simulator while faults are active.
 */
export async function handleSimRequest(
  control: SimControl,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_sim/vms':
      sendJson(res, 200, { items: control.vms() });
      return;
    case 'GET /_sim/jobs':
      sendJson(res, 200, { items: control.jobs() });
      return;
    case 'GET /_sim/faults':
      sendJson(res, 200, control.faults());
      return;
    case 'POST /_sim/faults': {
      const body = (await readJsonObject(req)) as SimFaults;
      if (
        body.purgeJobs !== undefined &&
        !(
          Array.isArray(body.purgeJobs) &&
          body.purgeJobs.every(Number.isInteger)
        )
      ) {
        throw new HttpError(
          400,
          detail('purgeJobs must be an array of job ids'),
        );
      }
      try {
        control.setFaults(body);
      } catch (error) {
        throw new HttpError(400, detail((error as Error).message));
      }
      sendJson(res, 200, control.faults());
      return;
    }
    case 'POST /_sim/reset':
      control.reset();
      sendJson(res, 200, { reset: true });
      return;
    case 'GET /_sim/stats':
      sendJson(res, 200, control.requestCounts());
      return;
    default:
      throw new HttpError(
        404,
        detail(`No simulator control endpoint ${route}`),
      );
  }
}
