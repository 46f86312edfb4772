// The few zod builders the config and the catalog use, imported by name so
// that the bundler keeps only these (importing the `z` namespace pulls in all
// of zod and slows every start-up of the action).
import { array, boolean, date, enum as enumOf, literal, number, partialRecord, record, strictObject, string, union } from 'zod';

export const ZOD = { array, boolean, date, enum: enumOf, literal, number, partialRecord, record, strictObject, string, union };
