import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// These tests type into and click through MUI dialogs; on a 2-core CI machine running the backend
// suites beside them, one such test takes 5-15 s, far beyond jest's and testing-library's defaults.
jest.setTimeout(60_000);
configure({ asyncUtilTimeout: 10_000 });

// jsdom cannot lay out SVG text, so mermaid cannot render here. Components get a stand-in SVG
// that carries the diagram text; the text itself is unit-tested in src/diagrams.
jest.mock('./components/MermaidDiagram/renderMermaid', () => ({
  renderMermaid: jest.fn(async (text: string) => {
    const escaped = text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
    return `<svg data-testid="mermaid-svg"><desc>${escaped}</desc></svg>`;
  }),
}));

// jsdom lays nothing out, so AutoSizer would measure 0 x 0 and render no log lines at all; give
// Backstage's LogViewer the size a browser would.
jest.mock('react-virtualized-auto-sizer', () => ({
  __esModule: true,
  default: ({
    children,
  }: {
    children: (size: { height: number; width: number }) => unknown;
  }) => children({ height: 480, width: 800 }),
}));
