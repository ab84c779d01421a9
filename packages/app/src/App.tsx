import { Navigate, Route } from 'react-router-dom';
import { createApp } from '@backstage/app-defaults';
import { themes, UnifiedThemeProvider } from '@backstage/theme';
import CssBaseline from '@material-ui/core/CssBaseline';
import { AppRouter, FlatRoutes } from '@backstage/core-app-api';
import {
  AlertDisplay,
  OAuthRequestDialog,
  SignInPage,
} from '@backstage/core-components';
import {
  CatalogEntityPage,
  CatalogIndexPage,
  catalogPlugin,
} from '@backstage/plugin-catalog';
import { NotificationsPage } from '@backstage/plugin-notifications';
import { ScaffolderPage, scaffolderPlugin } from '@backstage/plugin-scaffolder';
import { SignalsDisplay } from '@backstage/plugin-signals';
import { VmLifecyclePage } from '@vm-selfservice/plugin-vm-lifecycle';
import { apis } from './apis';
import { Root } from './components/Root';
import { entityPage } from './components/catalog/EntityPage';

const app = createApp({
  apis,
  // @backstage/theme 0.7 no longer ships a CSS baseline; without one the page keeps the
  // browser's margins, content-box sizing (a horizontal scrollbar) and serif text.
  themes: [
    {
      id: 'light',
      title: 'Light',
      variant: 'light',
      Provider: ({ children }) => (
        <UnifiedThemeProvider theme={themes.light}>
          <CssBaseline>{children}</CssBaseline>
        </UnifiedThemeProvider>
      ),
    },
    {
      id: 'dark',
      title: 'Dark',
      variant: 'dark',
      Provider: ({ children }) => (
        <UnifiedThemeProvider theme={themes.dark}>
          <CssBaseline>{children}</CssBaseline>
        </UnifiedThemeProvider>
      ),
    },
  ],
  components: {
    SignInPage: props => <SignInPage {...props} providers={['guest']} />,
  },
  bindRoutes({ bind }) {
    bind(catalogPlugin.externalRoutes, {
      createComponent: scaffolderPlugin.routes.root,
    });
  },
});

const routes = (
  <FlatRoutes>
    <Route path="/" element={<Navigate to="virtual-machines" />} />
    <Route path="/catalog" element={<CatalogIndexPage />} />
    <Route
      path="/catalog/:namespace/:kind/:name"
      element={<CatalogEntityPage />}
    >
      {entityPage}
    </Route>
    <Route path="/virtual-machines" element={<VmLifecyclePage />} />
    <Route path="/create" element={<ScaffolderPage />} />
    <Route path="/notifications" element={<NotificationsPage />} />
  </FlatRoutes>
);

export default app.createRoot(
  <>
    <AlertDisplay />
    <OAuthRequestDialog />
    {/* Installs the signals plugin, whose API carries the live vm-lifecycle updates. */}
    <SignalsDisplay />
    <AppRouter>
      <Root>{routes}</Root>
    </AppRouter>
  </>,
);

export { catalogPlugin };
