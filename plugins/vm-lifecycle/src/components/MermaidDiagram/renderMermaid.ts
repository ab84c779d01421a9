type Mermaid = (typeof import('mermaid'))['default'];

let mermaidModule: Promise<Mermaid> | undefined;
let queue: Promise<unknown> = Promise.resolve();
let counter = 0;

/**
 * Renders mermaid text to an SVG string. Mermaid (several MB) is imported on first use only, so
 * pages without diagrams never download it. Renders are queued because initialize() is global:
 * two diagrams rendering at once in different themes would otherwise mix their settings.
 */
export function renderMermaid(
  text: string,
  dark: boolean,
  fontFamily = 'sans-serif',
): Promise<string> {
  const run = async () => {
    mermaidModule ??= import('mermaid').then(m => m.default);
    const mermaid = await mermaidModule;
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: dark ? 'dark' : 'default',
      fontFamily,
    });
    counter += 1;
    const { svg } = await mermaid.render(
      `vm-lifecycle-diagram-${counter}`,
      text,
    );
    return svg;
  };
  const result = queue.then(run, run);
  // The caller gets the failure through `result`; the queue only keeps the order.
  queue = result.catch(() => undefined);
  return result;
}
