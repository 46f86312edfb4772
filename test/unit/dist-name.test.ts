import { describe, expect, it } from 'vitest';
import { agreedVersion, parseDistributionName } from '../../src/core/dist-name.js';
import { checkVersionsAgree } from '../../src/publish/version-agreement.js';

describe('distribution file names', () => {
  it('reads wheels and PEP 625 sdists, comparing names as PyPI does, and nothing else', () => {
    expect(parseDistributionName('qsym_python-1.2.0-cp310-abi3-manylinux_2_17_x86_64.whl')).toEqual({ kind: 'wheel', distribution: 'qsym-python', version: '1.2.0' });
    expect(parseDistributionName('qsym_python-1.2.0.tar.gz')).toEqual({ kind: 'sdist', distribution: 'qsym-python', version: '1.2.0' });
    expect(parseDistributionName('qsym-cli-x86_64-unknown-linux-gnu.tar.gz')).toMatchObject({ kind: 'sdist' });
    expect(parseDistributionName('SHA256SUMS')).toBeUndefined();
    expect(parseDistributionName('qsym-cli-windows-x86_64.zip')).toBeUndefined();
    expect(parseDistributionName('broken.whl')).toBeUndefined();
  });

  it('agrees when every wheel and the sdist share name and version, and says what differs otherwise', () => {
    expect(agreedVersion(['Demo.Pkg-1.0-cp312-cp312-win_amd64.whl', 'demo_pkg-1.0.tar.gz'])).toEqual({ distribution: 'demo-pkg', version: '1.0' });
    expect(agreedVersion(['SHA256SUMS'])).toBeUndefined();
    expect(agreedVersion(['demo-1.0-py3-none-any.whl', 'demo-1.0.post1.tar.gz'])).toEqual({ disagreement: 'demo 1.0 (demo-1.0-py3-none-any.whl) vs demo 1.0.post1 (demo-1.0.post1.tar.gz)' });
    // A binary's archive is told apart by its kind, not its name.
    expect(() =>
      checkVersionsAgree([
        { name: 'a-1.0-py3-none-any.whl', kind: 'wheel' },
        { name: 'a-cli-linux-x86_64.tar.gz', kind: 'archive' },
      ]),
    ).not.toThrow();
    expect(() =>
      checkVersionsAgree([
        { name: 'a-1.0-py3-none-any.whl', kind: 'wheel' },
        { name: 'b-1.0.tar.gz', kind: 'sdist' },
      ]),
    ).toThrow(/do not share one name and version: a 1\.0 \(a-1\.0-py3-none-any\.whl\) vs b 1\.0 \(b-1\.0\.tar\.gz\)/);
  });
});
