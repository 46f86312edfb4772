import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/core/versions.js';

describe('compareVersions', () => {
  it('compares dotted versions by number', () => {
    expect(compareVersions('10.13', '11.0')).toBe(-1);
    expect(compareVersions('6.2.1', '6.10.0')).toBe(-1);
    expect(compareVersions('3.13.1', '3.9.18')).toBe(1);
  });

  it('treats missing components as 0, so a deployment target may be written 11 or 11.0', () => {
    expect(compareVersions('11.0', '11')).toBe(0);
    expect(compareVersions('11', '11.0.0')).toBe(0);
    expect(compareVersions('11.1', '11')).toBe(1);
  });

  it('orders a pre-release before its release', () => {
    expect(compareVersions('3.13.0rc1', '3.13.0')).toBe(-1);
    expect(compareVersions('3.13.0rc2', '3.13.0rc1')).toBe(1);
    expect(compareVersions('3.14.0a1', '3.13.5')).toBe(1);
  });
});
