import '@testing-library/jest-dom';

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
