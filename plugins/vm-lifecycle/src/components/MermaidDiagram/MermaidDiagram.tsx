import { useEffect, useState } from 'react';
import { Progress, WarningPanel } from '@backstage/core-components';
import {
  Box,
  Button,
  makeStyles,
  Typography,
  useTheme,
} from '@material-ui/core';
import { renderMermaid } from './renderMermaid';

const useStyles = makeStyles(theme => ({
  diagram: {
    overflowX: 'auto',
    textAlign: 'center',
    '& svg': { maxWidth: '100%', height: 'auto' },
  },
  source: {
    fontFamily: 'monospace',
    fontSize: theme.typography.pxToRem(12),
    whiteSpace: 'pre-wrap',
    background: theme.palette.background.default,
    padding: theme.spacing(1),
    borderRadius: theme.shape.borderRadius,
  },
}));

export interface MermaidDiagramProps {
  /** Mermaid text; usually produced by one of the pure functions in src/diagrams. */
  text: string;
  /** Names the picture for assistive technology. */
  title: string;
  /** What the picture shows, in words. */
  description?: string;
}

/** A mermaid diagram rendered to SVG in the browser, with its text one click away. */
export const MermaidDiagram = ({
  text,
  title,
  description,
}: MermaidDiagramProps) => {
  const classes = useStyles();
  const theme = useTheme();
  const dark = theme.palette.type === 'dark';
  const fontFamily = theme.typography.fontFamily;
  const [state, setState] = useState<{ svg?: string; error?: Error }>({});
  const [showSource, setShowSource] = useState(false);

  useEffect(() => {
    let current = true;
    renderMermaid(text, dark, fontFamily).then(
      svg => current && setState({ svg }),
      error => current && setState({ error }),
    );
    return () => {
      current = false;
    };
  }, [text, dark, fontFamily]);

  return (
    <Box>
      {state.error && (
        <WarningPanel
          defaultExpanded
          severity="warning"
          title={`Could not draw "${title}"`}
        >
          {state.error.message}
        </WarningPanel>
      )}
      {!state.svg && !state.error && <Progress />}
      {state.svg && (
        <div
          role="img"
          aria-label={description ? `${title}. ${description}` : title}
          className={classes.diagram}
          // The SVG comes from mermaid with securityLevel "strict" (sanitised labels, no scripts).
          dangerouslySetInnerHTML={{ __html: state.svg }}
        />
      )}
      <Box mt={1} display="flex" justifyContent="flex-end">
        <Button
          size="small"
          aria-expanded={showSource}
          aria-label={`${showSource ? 'Hide' : 'Show'} diagram text: ${title}`}
          onClick={() => setShowSource(s => !s)}
        >
          {showSource ? 'Hide diagram text' : 'Show diagram text'}
        </Button>
      </Box>
      {showSource && (
        <Typography component="pre" className={classes.source}>
          {text}
        </Typography>
      )}
    </Box>
  );
};
