import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { AapSimulatorOptions } from '@vm-selfservice/aap-simulator';
import express from 'express';
import { Knex } from 'knex';
import { AapClient } from '../../aap/AapClient';
import { createEdaCallbackRouter } from '../../router/edaCallbackRouter';
import {
  createIntegrationEnv,
  SIM_TOKEN,
} from '../../__testUtils__/integration';
import { AapDirectProvider } from '../AapDirectProvider';
import { EdaAuthConfig } from '../edaAuth';
import { createEdaProvider } from '../EdaProvider';
import { createRoutingProvider, ProviderType } from '../RoutingProvider';

export const STREAMS = {
  create: '7d3f3a10-0000-4c4c-9d9d-000000000001',
  delete: '7d3f3a10-0000-4c4c-9d9d-000000000002',
  createHmac: '7d3f3a10-0000-4c4c-9d9d-000000000003',
};
export const EDA_TOKEN = 'eda-stream-token-5b2e';
export const HMAC_SECRET = 'eda-hmac-secret-91aa';
export const CALLBACK_TOKEN = 'eda-callback-token-c0ffee';

/**
 * The integration environment (database store, AAP simulator over HTTP) plus what EDA mode adds in
 * database mode: event streams in the simulator, and the plugin's callback route on a real port,
 * which the simulated playbooks call as the real ones would.
 */
export async function createEdaIntegrationEnv(
  knex: Knex,
  simOptions: AapSimulatorOptions = {},
) {
  const env = await createIntegrationEnv(knex, {
    edaStreams: [
      { uuid: STREAMS.create, action: 'provision', token: EDA_TOKEN },
      { uuid: STREAMS.delete, action: 'deprovision', token: EDA_TOKEN },
      {
        uuid: STREAMS.createHmac,
        action: 'provision',
        hmacSecret: HMAC_SECRET,
      },
    ],
    ...simOptions,
  });
  const logger = mockServices.logger.mock();
  const app = express();
  app.use(
    '/api/vm-lifecycle',
    createEdaCallbackRouter({
      store: env.store,
      names: env.names,
      logger,
      token: CALLBACK_TOKEN,
    }),
  );
  app.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger,
    }).error(),
  );
  const server: Server = await new Promise(resolve => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const callbackBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/vm-lifecycle`;
  env.sim.setEdaTarget({
    type: 'callback',
    baseUrl: callbackBase,
    token: CALLBACK_TOKEN,
  });

  const streamUrl = (uuid: string) =>
    `${env.url}/eda-event-streams/api/eda/v1/external_event_stream/${uuid}/post/`;

  function edaProvider(
    options: { auth?: EdaAuthConfig; provisionStream?: string } = {},
  ) {
    return createEdaProvider({
      store: env.store,
      names: env.names,
      provisionUrl: streamUrl(options.provisionStream ?? STREAMS.create),
      deprovisionUrl: streamUrl(STREAMS.delete),
      auth: options.auth ?? { type: 'token', token: EDA_TOKEN },
      timeoutMs: 5000,
      retryBaseDelayMs: 20,
    });
  }

  function aapProvider() {
    const client = new AapClient({
      baseUrl: `${env.url}/api/controller/v2`,
      token: SIM_TOKEN,
      retryBaseDelayMs: 20,
      timeoutMs: 5000,
    });
    return new AapDirectProvider({ client });
  }

  /** A controller as the plugin wires it: a routing provider that launches with `launch`. */
  function controller(
    launch: ProviderType,
    parts: { eda?: ReturnType<typeof edaProvider>; aap?: boolean } = {},
  ) {
    const provider = createRoutingProvider({
      launch,
      store: env.store,
      names: env.names,
      eda: parts.eda ?? (launch === 'eda' ? edaProvider() : undefined),
      aap: parts.aap || launch === 'aap' ? aapProvider() : undefined,
    });
    return env.newController({ provider }).controller;
  }

  return {
    ...env,
    streamUrl,
    edaProvider,
    controller,
    async close() {
      await env.close();
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
