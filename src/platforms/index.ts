import type { Platform } from '../catalog/catalog.js';
import { linux } from './linux.js';
import { macos } from './macos.js';
import type { PlatformModule } from './types.js';
import { windows } from './windows.js';

// The one place that chooses by OS: everything OS-specific is behind the
// PlatformModule interface of these three.
const MODULES: Readonly<Record<Platform['os'], PlatformModule>> = { linux, macos, windows };

export function platformModule(platform: Platform): PlatformModule {
  return MODULES[platform.os];
}
