import { backendFor } from '../../src/backends/index.js';
import type { WheelBuildInputs } from '../../src/backends/types.js';

/** The wheel build of the project's backend, as a cell runs it. */
export const buildWheels = (inputs: WheelBuildInputs): Promise<string[]> => backendFor(inputs.project.backend).buildWheels!(inputs);
