/** Output handles follow the catalogue, the config (labels) and the settings (error branch). */
import { describe, expect, it } from 'vitest';
import { catalogue, spec } from '../test/fixtures';
import { effectiveHandle, outputHandles } from './handles';

describe('outputHandles', () => {
  it('gives most nodes one output', () => {
    expect(outputHandles(spec('record_find'), {}, undefined)).toEqual(['out']);
  });
  it('gives a condition true and false', () => {
    expect(outputHandles(spec('condition'), {}, undefined)).toEqual(['true', 'false']);
  });
  it('gives a classification one handle per label, then other', () => {
    const config = { labels: [{ name: 'hot_lead' }, { name: 'cold' }, { name: 'hot_lead' }] };
    expect(outputHandles(spec('ai_classification'), config, undefined)).toEqual(['hot_lead', 'cold', 'other']);
  });
  it('adds the error handle when on_error is branch', () => {
    expect(outputHandles(spec('http_request'), {}, { on_error: 'branch' }, catalogue.error_handle)).toEqual([
      'out',
      'error',
    ]);
    expect(outputHandles(spec('http_request'), {}, { on_error: 'continue' })).toEqual(['out']);
  });
  it('gives an approval its outcomes (from the catalogue)', () => {
    expect(outputHandles(spec('approval'), {}, undefined)).toEqual(['approved', 'rejected', 'expired']);
  });
  it('has no outputs for an unknown type', () => {
    expect(outputHandles(undefined, {}, undefined)).toEqual([]);
  });
});

describe('effectiveHandle', () => {
  it('defaults to the only success handle, like the server', () => {
    expect(effectiveHandle(null, ['out', 'error'])).toBe('out');
    expect(effectiveHandle(null, ['true', 'false'])).toBeNull();
    expect(effectiveHandle('false', ['true', 'false'])).toBe('false');
  });
});
