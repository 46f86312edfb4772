// The few zod builders the config and the catalog use, imported by name so
// that the bundler keeps only these (importing the `z` namespace pulls in all
// of zod and slows every start-up of the action).
import { array, boolean, config, date, enum as enumOf, literal, number, partialRecord, record, strictObject, string, union } from 'zod';

// Each schema parses a document or two per run: compiling a fast path for it
// (zod's default, with `new Function`) costs more than it saves.
config({ jitless: true });

export const ZOD = { array, boolean, date, enum: enumOf, literal, number, partialRecord, record, strictObject, string, union };
