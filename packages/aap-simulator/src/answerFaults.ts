import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnswerFault } from './faults';
import type { Scheduler } from './scheduler';

interface CapturedAnswer {
  status: number;
  headers: Record<string, string | number | string[]>;
  body?: string | Buffer;
}

const GATEWAY_TEXT: Record<number, string> = {
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
};

/**
 * Runs a request handler to completion (its work is done: a job launched, a cancel sent), then
 * applies the fault to its answer: lost (the connection is reset), slow (sent after a delay the
 * client will not wait for) or replaced by the HTML error page of a gateway in front of AAP.
 */
export async function answerWithFault(
  req: IncomingMessage,
  res: ServerResponse,
  fault: AnswerFault,
  scheduler: Scheduler,
  handler: () => Promise<void>,
  renderError: (error: unknown) => void,
): Promise<void> {
  const captured = captureAnswer(res);
  try {
    await handler();
  } catch (error) {
    // An error answer (a 404, say) is an answer like any other: the fault applies to it too.
    renderError(error);
  } finally {
    captured.restore();
  }
  switch (fault.type) {
    case 'lost':
      req.socket.destroy();
      return;
    case 'gateway': {
      const text = GATEWAY_TEXT[fault.status] ?? 'Gateway Error';
      const body = `<html><head><title>${fault.status} ${text}</title></head><body><center><h1>${fault.status} ${text}</h1></center><hr><center>nginx</center></body></html>\n`;
      res.writeHead(fault.status, {
        'Content-Type': 'text/html',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    case 'slow':
      await scheduler.delay(fault.delayMs);
      if (res.destroyed || req.socket.destroyed) return;
      res.writeHead(captured.answer.status, captured.answer.headers);
      res.end(captured.answer.body);
      return;
    default:
      throw new Error(`unknown answer fault ${JSON.stringify(fault)}`);
  }
}

/** Holds back what a handler writes (our handlers only use writeHead + end) until restore(). */
function captureAnswer(res: ServerResponse): {
  answer: CapturedAnswer;
  restore: () => void;
} {
  const answer: CapturedAnswer = { status: 200, headers: {} };
  const { writeHead, end } = res;
  const capturingWriteHead = (
    status: number,
    headers?: Record<string, string | number | string[]>,
  ) => {
    answer.status = status;
    answer.headers = { ...answer.headers, ...(headers ?? {}) };
    return res;
  };
  const capturingEnd = (body?: string | Buffer) => {
    answer.body = body;
    return res;
  };
  res.writeHead = capturingWriteHead as unknown as typeof res.writeHead;
  res.end = capturingEnd as unknown as typeof res.end;
  return {
    answer,
    restore: () => {
      res.writeHead = writeHead;
      res.end = end;
    },
  };
}
