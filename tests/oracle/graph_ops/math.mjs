// Per-op oracle cases of the math family (graph_op_cases.mjs).
import { A, DT, node, makeCase, f32, i32c, f32c, fn } from './common.mjs';

export const cases = [];
