import type { Platform } from '../catalog/catalog.js';
import { UserError } from '../errors.js';
import { linux } from './linux.js';
import { windows } from './windows.js';
import type { PlatformModule } from './types.js';

// The one place that chooses by OS. The macOS module arrives with its own
// issue; until then macOS cells are planned but not built.
const MODULES: Partial<Record<Platform['os'], PlatformModule>> = { linux, windows };

export function platformModule(platform: Platform): PlatformModule {
  const module = MODULES[platform.os];
  if (!module) {
    throw new UserError({
      key: 'cell',
      message: `building for ${platform.id} is not supported by native-matrix ${__VERSION__} yet`,
      fix: 'exclude the platform from matrix.platforms, or narrow with the platforms input',
    });
  }
  return module;
}
