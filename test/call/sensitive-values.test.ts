import { describe, expect, it } from 'vitest';
import { SensitiveValues } from '../../src/call/sensitive-values.js';

const lookup = (): SensitiveValues => new SensitiveValues(new Map([['verify', [['pin'], ['customer', 'dob']]]]));

describe('sensitive values in records and logs', () => {
  it('masks an argument the agent marks sensitive, whatever its value, nested ones too', () => {
    const s = lookup();
    const masked = s.maskArguments('verify', '{"pin": "4921", "customer": {"dob": "1980-05-01", "name": "Ann"}, "reason": "login"}');
    expect(JSON.parse(masked)).toEqual({ pin: 'xxxx', customer: { dob: 'xxxx-xx-xx', name: 'Ann' }, reason: 'login' });
    // Other tools, and calls with nothing to hide, keep the model's text as it came.
    expect(s.maskArguments('other', '{"pin": "4921"}')).toBe('{"pin": "4921"}');
  });

  it('once a value is known, masks it wherever it turns up: digits compared on digits alone', () => {
    const s = new SensitiveValues();
    s.add('73915582'); // what collect_digits returned
    expect(s.maskArguments('lookup_order', '{"order_number": "73915582"}')).toBe('{"order_number":"xxxxxxxx"}');
    expect(s.maskArguments('lookup_order', '{"account": 73915582, "note": "acct 7391-5582"}')).toBe('{"account":"xxxxxxxx","note":"acct xxxx-xxxx"}');
    expect(s.maskOutput('{"account":"7391 5582","status":"shipped"}')).toBe('{"account":"xxxx xxxx","status":"shipped"}');
    expect(s.maskText('Your account 7 3 9 1 5 5 8 2 is active; order 1234 shipped.')).toBe(
      'Your account x x x x x x x x is active; order 1234 shipped.',
    );
  });

  it('remembers the values of sensitive arguments when a tool is called, text ones too', () => {
    const s = lookup();
    s.addArguments('verify', { pin: '4921', customer: { dob: 'May first', name: 'Ann' } });
    expect(s.maskText('PIN 4921 accepted')).toBe('PIN xxxx accepted');
    expect(s.maskText('born may first, right?')).toBe('born xxx xxxxx, right?');
  });

  it('does not match values too short to tell apart (a one-key menu choice)', () => {
    const s = new SensitiveValues();
    s.add('1');
    expect(s.maskText('press 1 for sales')).toBe('press 1 for sales');
  });

  it('keeps only the size of arguments that are not JSON: they may hold anything', () => {
    expect(new SensitiveValues().maskArguments('t', '{"pin": 4921')).toBe('{"unparsable":"12 characters"}');
  });
});
