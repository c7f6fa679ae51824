// node resize_bilinear.mjs IN.json
//
// The real TF.js (pinned @tensorflow/tfjs, cpu backend): tf.image.resizeBilinear with its
// defaults (alignCorners false, halfPixelCenters false) on IN.json = {"shape": [1, h, w, c],
// "values": [...], "size": [newHeight, newWidth]}; prints {"shape", "values"} of the result as
// JSON (what the image inputs of `tfjs predict --image-size` are compared with).
import fs from 'node:fs';
import { tf, startScript } from './lib.mjs';

const [file] = await startScript('node resize_bilinear.mjs IN.json');
const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
const x = tf.tensor4d(spec.values, spec.shape, 'float32');
const y = tf.image.resizeBilinear(x, spec.size);
console.log(JSON.stringify({ shape: y.shape, values: Array.from(y.dataSync()) }));
