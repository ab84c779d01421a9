import { Box, IconButton, Typography } from '@material-ui/core';
import ChevronLeft from '@material-ui/icons/ChevronLeft';
import ChevronRight from '@material-ui/icons/ChevronRight';
import { InstancePages } from '../../hooks/useInstancePages';
import { InstanceTable, InstanceTableProps } from './InstanceTable';

export interface PagedInstanceTableProps extends Omit<
  InstanceTableProps,
  'instances' | 'pageSize' | 'serverPaged'
> {
  pages: InstancePages;
}

/** "21–40 of 134" with previous/next, for a list the server pages. */
export const InstancePager = ({ pages }: { pages: InstancePages }) => {
  const count = pages.items?.length ?? 0;
  if (!pages.hasPrevious && !pages.hasNext) return null;
  const range =
    count === 0
      ? 'none'
      : `${pages.offset + 1}–${pages.offset + count}${
          pages.total !== undefined ? ` of ${pages.total}` : ''
        }`;
  return (
    <Box
      component="nav"
      aria-label="Pages"
      display="flex"
      alignItems="center"
      justifyContent="flex-end"
      style={{ gap: 8 }}
      pt={1}
    >
      <Typography variant="body2" color="textSecondary" aria-live="polite">
        {range}
      </Typography>
      <IconButton
        size="small"
        aria-label="Previous page"
        disabled={!pages.hasPrevious || pages.pending}
        onClick={pages.previous}
      >
        <ChevronLeft />
      </IconButton>
      <IconButton
        size="small"
        aria-label="Next page"
        disabled={!pages.hasNext || pages.pending}
        onClick={pages.next}
      >
        <ChevronRight />
      </IconButton>
    </Box>
  );
};

/** An instance table over one server page at a time. */
export const PagedInstanceTable = ({
  pages,
  ...tableProps
}: PagedInstanceTableProps) => (
  <Box>
    <InstanceTable
      {...tableProps}
      instances={pages.items ?? []}
      loading={pages.pending}
      serverPaged
    />
    <InstancePager pages={pages} />
  </Box>
);
