// node predict_value.mjs DIR X
//
// The real TF.js (pinned @tensorflow/tfjs, cpu backend) loads the layers model in DIR with
// tf.loadLayersModel and prints model.predict([[X]]) for a model with one input of shape [null, 1]
// (the walkthrough's y = 2x - 1 model), as the blog's last step does.
import { tf, initTf, installFailureHandlers, folderIOHandler } from './lib.mjs';

installFailureHandlers();
const [dir, x] = process.argv.slice(2);
if (!dir || x === undefined) {
  console.error('usage: node predict_value.mjs DIR X');
  process.exit(2);
}
await initTf();
const model = await tf.loadLayersModel(folderIOHandler(dir));
const y = model.predict(tf.tensor2d([[Number(x)]]));
console.log(y.dataSync()[0]);
