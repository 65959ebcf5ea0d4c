import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFolder } from '../support/agent-folder.js';

describe('the shipped agent template', () => {
  it('loads as it is, so a copy of it is a working starting point', () => {
    const set = loadFolder(fileURLToPath(new URL('../../config/agent-template', import.meta.url)));
    expect(set.agents.map((agent) => agent.profile.id)).toEqual(['frontdesk']);
    expect(set.warnings).toEqual([]);
    expect(set.resolve('+15550100')?.profile.id).toBe('frontdesk');
  });
});
