import {
  Content,
  ContentHeader,
  Header,
  InfoCard,
  Page,
  Progress,
  StatusError,
  StatusOK,
  SupportButton,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import { vmLifecycleApiRef } from '../../api';

const ControllerStatus = () => {
  const api = useApi(vmLifecycleApiRef);
  const { value, loading, error } = useAsync(() => api.getHealth(), [api]);
  if (loading) return <Progress />;
  if (error) {
    return (
      <WarningPanel severity="error" title="The VM backend is not reachable">
        {error.message}
      </WarningPanel>
    );
  }
  return value?.status === 'ok' ? (
    <StatusOK>Controller backend is healthy</StatusOK>
  ) : (
    <StatusError>Controller backend reports {value?.status}</StatusError>
  );
};

export const VmLifecyclePage = () => (
  <Page themeId="tool">
    <Header
      title="Virtual Machines"
      subtitle="Self-service VMs provisioned by Ansible Automation Platform"
    />
    <Content>
      <ContentHeader title="Your virtual machines">
        <SupportButton>
          Request a VM from a template; the portal launches and tracks the AAP
          job and shows its live status.
        </SupportButton>
      </ContentHeader>
      <InfoCard title="Backend">
        <ControllerStatus />
      </InfoCard>
    </Content>
  </Page>
);
