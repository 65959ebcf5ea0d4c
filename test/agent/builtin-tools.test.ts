/**
 * The built-in tools' arguments: one zod schema per tool gives both the declaration the model
 * receives and the parsing of what it sends back.
 */
import { describe, expect, it } from 'vitest';
import { COLLECT_DIGITS, collectRequest, END_CALL, endCall, transferCall, transferCallDeclaration } from '../../src/agent/builtin-tools.js';

const TARGETS = new Map([
  ['human', { to: 'sip:desk@pbx.example', description: 'a person' }],
  ['billing', { to: '+15550123' }],
]);

describe('declarations', () => {
  it('collect_digits: the JSON schema the model gets, derived from the schema that parses', () => {
    expect(COLLECT_DIGITS.parameters).toEqual({
      type: 'object',
      properties: {
        purpose: { type: 'string', description: 'What the digits are, e.g. "account number".' },
        max_digits: { type: 'integer', minimum: 1, maximum: 32, default: 16, description: 'Stop after this many digits.' },
        terminator: {
          type: 'string',
          enum: ['#', '*', ''],
          default: '#',
          description: 'Key that ends the entry; "" for none. Default "#".',
        },
        timeout_ms: {
          type: 'integer',
          minimum: 2000,
          maximum: 60000,
          default: 10000,
          description: 'Give up after this long without a key press. Default 10000.',
        },
      },
      required: ['purpose'],
    });
  });

  it('transfer_call: the targets as an enum; end_call: an optional reason', () => {
    expect(transferCallDeclaration(TARGETS).parameters).toMatchObject({
      properties: { target: { type: 'string', enum: ['human', 'billing'] } },
      required: ['target'],
    });
    expect(transferCallDeclaration(TARGETS).description).toContain('human (a person); billing');
    expect(END_CALL.parameters).toEqual({
      type: 'object',
      properties: { reason: { type: 'string', description: 'Why the call is ending, in a few words.' } },
    });
  });
});

describe('parsing what the model sends', () => {
  it('collect_digits: defaults for what is left out, numbers sent as text accepted', () => {
    expect(collectRequest({ purpose: 'PIN' })).toEqual({ maxDigits: 16, terminator: '#', timeoutMs: 10_000 });
    expect(collectRequest({ purpose: 'PIN', max_digits: '4', terminator: '', timeout_ms: '5000' })).toEqual({
      maxDigits: 4,
      terminator: undefined,
      timeoutMs: 5_000,
    });
  });

  it('collect_digits: out of range or of the wrong kind is an error naming the fields, not the values', () => {
    expect(() => collectRequest({ purpose: 'PIN', max_digits: 99, terminator: '5' })).toThrow(
      /^collect_digits: invalid arguments \(max_digits: Too big: expected number to be <=32; terminator: Invalid option: expected one of "#"\|"\*"\|""\)$/,
    );
    expect(() => collectRequest({ max_digits: 4 })).toThrow(/purpose: Invalid input: expected string, received undefined/);
    expect(() => collectRequest([1, 2])).toThrow(/^collect_digits: invalid arguments \(Invalid input: expected object, received array\)$/);
  });

  it('transfer_call: a known target transfers; an unknown one gets the list of targets', () => {
    expect(transferCall({ target: 'billing', reason: 'invoice' }, TARGETS, 20_000)).toMatchObject({
      then: { action: 'transfer', target: 'billing', destination: '+15550123', timeoutMs: 20_000 },
    });
    expect(transferCall({ target: 'accounts' }, TARGETS, 20_000)).toEqual({
      output: JSON.stringify({ error: 'unknown transfer target "accounts"', targets: ['human', 'billing'] }),
      then: { action: 'none' },
    });
    expect(JSON.parse(transferCall({}, TARGETS, 20_000).output)).toEqual({
      error: 'unknown transfer target ""',
      targets: ['human', 'billing'],
    });
  });

  it('end_call: hangs up whatever the reason looks like', () => {
    expect(endCall({ reason: 'caller is done' }).then).toEqual({ action: 'hangup', reason: 'agent_hangup', detail: 'caller is done' });
    expect(endCall({ reason: 42 }).then).toEqual({ action: 'hangup', reason: 'agent_hangup', detail: '42' });
    expect(endCall('not an object').then).toEqual({ action: 'hangup', reason: 'agent_hangup' });
  });
});
