import { PropsWithChildren } from 'react';
import {
  Sidebar,
  SidebarDivider,
  SidebarGroup,
  SidebarItem,
  SidebarPage,
  SidebarScrollWrapper,
} from '@backstage/core-components';
import HomeIcon from '@material-ui/icons/Home';
import MenuIcon from '@material-ui/icons/Menu';
import ComputerIcon from '@material-ui/icons/Computer';
import CreateComponentIcon from '@material-ui/icons/AddCircleOutline';
import { NotificationsSidebarItem } from '@backstage/plugin-notifications';

export const Root = ({ children }: PropsWithChildren<{}>) => (
  <SidebarPage>
    <Sidebar>
      <SidebarGroup label="Menu" icon={<MenuIcon />}>
        <SidebarScrollWrapper>
          <SidebarItem icon={HomeIcon} to="catalog" text="Catalog" />
          <SidebarItem
            icon={ComputerIcon}
            to="virtual-machines"
            text="Virtual Machines"
          />
          <SidebarItem
            icon={CreateComponentIcon}
            to="create"
            text="Create..."
          />
        </SidebarScrollWrapper>
      </SidebarGroup>
      <SidebarDivider />
      <NotificationsSidebarItem />
    </Sidebar>
    {children}
  </SidebarPage>
);
