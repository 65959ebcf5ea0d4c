import { describe, expect, it } from 'vitest';
import { sensitiveParameters } from '../../src/agent/webhook-file.js';
import { agentsFolder, loadFolder } from '../support/agent-folder.js';

const agent = (pin: string): string => `
id: a
numbers: ["*"]
instructions: Help.
greeting: { mode: none }
tools:
  - name: verify_pin
    description: Check the PIN.
    parameters: { type: object, properties: { pin: { type: string, sensitive: ${pin} } } }
    url: http://127.0.0.1:9/verify
`;

describe('sensitive: true on a webhook tool parameter', () => {
  it('is collected by path and left out of the schema the model gets', () => {
    const { paths, forModel } = sensitiveParameters({
      type: 'object',
      properties: { pin: { type: 'string', sensitive: true }, who: { type: 'object', properties: { dob: { type: 'string', sensitive: true } } } },
    });
    expect(paths).toEqual([['pin'], ['who', 'dob']]);
    expect(forModel).toEqual({ type: 'object', properties: { pin: { type: 'string' }, who: { type: 'object', properties: { dob: { type: 'string' } } } } });
  });

  it('must be true or false: anything else is a load error naming the field', () => {
    expect(() => loadFolder(agentsFolder({ 'a.yaml': agent('"yes"') }))).toThrow(/parameters\.properties\.pin\.sensitive: write true or false/);
    expect(() => loadFolder(agentsFolder({ 'a.yaml': agent('true') }))).not.toThrow();
  });
});
