import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { namingOptions } from '../../src/cli/option-errors.js';

describe('namingOptions', () => {
  const option = (f: string) => (f === 'token' ? null : f.replace(/_/g, '-'));
  const label = (f: string) => (f === 'token' ? 'Auth Token' : f);

  it('names the option of the failing field and lists the other problems in the hint', () => {
    const err = new SnagError('config', 'Name is too long.', {
      hint: 'Use at most 100 characters.',
      details: {
        field: 'name',
        fields: {
          name: { message: 'Name is too long.' },
          start_date: { message: 'Not a time.' },
          token: { message: 'Empty.' },
        },
      },
    });
    const out = namingOptions(err, option, label) as SnagError;
    expect(out.message).toBe('--name: Name is too long.');
    expect(out.hint).toBe('Use at most 100 characters.\nAlso --start-date: Not a time.\nAlso Auth Token: Empty.');
    expect(out.details.field).toBe('name');
  });

  it('a field without an option keeps the message as it is; other errors pass through untouched', () => {
    const token = namingOptions(
      new SnagError('config', 'The token is empty.', { details: { field: 'token' } }),
      option,
      label,
    ) as SnagError;
    expect(token.message).toBe('The token is empty.');
    expect(token.hint).toBeUndefined();
    const other = new SnagError('network', 'Host unreachable.', { details: { field: 'host' } });
    expect(namingOptions(other, option, label)).toBe(other);
    const plain = new Error('x');
    expect(namingOptions(plain, option, label)).toBe(plain);
  });
});
