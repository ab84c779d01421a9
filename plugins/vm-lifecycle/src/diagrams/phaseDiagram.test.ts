import {
  phaseStateDescription,
  phaseStateDiagram,
  PHASES,
} from './phaseDiagram';

describe('phaseStateDiagram', () => {
  it('is a mermaid state diagram with every phase', () => {
    const text = phaseStateDiagram();
    expect(text.split('\n')[0]).toBe('stateDiagram-v2');
    for (const phase of PHASES) {
      expect(text).toMatch(new RegExp(`\\b${phase}\\b`));
    }
  });

  it('starts at Starting and ends when the finalizer is removed after Deleting', () => {
    const text = phaseStateDiagram();
    expect(text).toContain('[*] --> Starting: VM requested');
    expect(text).toContain(
      'Deleting --> [*]: deprovision succeeded, finalizer removed',
    );
    expect(text).toContain(
      'Starting --> Deleting: Delete: running job cancelled first',
    );
  });

  it.each(PHASES)('highlights the current phase %s and nothing else', phase => {
    const text = phaseStateDiagram(phase);
    const classLines = text
      .split('\n')
      .filter(l => l.trim().startsWith('class '));
    expect(classLines).toEqual([`  class ${phase} current`]);
    expect(text).toContain('classDef current');
  });

  it('highlights nothing before the controller has set a phase', () => {
    expect(phaseStateDiagram(undefined)).not.toMatch(/^\s*class /m);
  });

  it('ignores a phase the diagram does not know', () => {
    expect(phaseStateDiagram('Hibernating' as any)).not.toMatch(/^\s*class /m);
  });

  it('describes the machine and the current phase in words', () => {
    expect(phaseStateDescription('Deleting')).toContain(
      'now in phase Deleting',
    );
    expect(phaseStateDescription()).toContain('not picked the instance up yet');
  });
});
