import { Route, Routes } from 'react-router-dom';
import { Header, Page, TabbedLayout } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import { vmAdminPermission } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { AdminInstancesTab } from '../AdminInstancesTab';
import { HowItWorksTab } from '../HowItWorksTab';
import { InstancePage } from '../InstancePage';
import { MyInstancesTab } from '../MyInstancesTab';

/** The list page: your VMs, every VM (admins only) and how the whole thing works. */
export const VirtualMachinesPage = () => {
  const admin = usePermission({ permission: vmAdminPermission });
  return (
    <Page themeId="tool">
      <Header
        title="Virtual Machines"
        subtitle="Request a VM from a template; Ansible Automation Platform builds it, and removes it when you delete it."
      />
      <TabbedLayout>
        <TabbedLayout.Route path="/" title="My instances">
          <MyInstancesTab />
        </TabbedLayout.Route>
        {admin.allowed && (
          <TabbedLayout.Route path="/all" title="All instances">
            <AdminInstancesTab />
          </TabbedLayout.Route>
        )}
        <TabbedLayout.Route path="/how-it-works" title="How it works">
          <HowItWorksTab />
        </TabbedLayout.Route>
      </TabbedLayout>
    </Page>
  );
};

/** Everything under the plugin's mount point: the list with its tabs, and one page per VM. */
export const VmLifecyclePage = () => (
  <Routes>
    <Route path="/:namespace/:name" element={<InstancePage />} />
    <Route path="/*" element={<VirtualMachinesPage />} />
  </Routes>
);
