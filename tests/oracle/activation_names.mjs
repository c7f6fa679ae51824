// node activation_names.mjs NAME...
//
// Which activation names the real TF.js loads from a model.json: for each NAME, a Dense layer
// with `activation: NAME` goes through tf.models.modelFromJSON (the path tf.loadLayersModel
// takes, snake_case -> camelCase conversion included). Prints one JSON object {NAME: true|false}.
import * as tf from '@tensorflow/tfjs';

const out = {};
for (const name of process.argv.slice(2)) {
  try {
    await tf.models.modelFromJSON({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 's',
          layers: [{ class_name: 'Dense', config: { name: 'd', units: 1, activation: name, batch_input_shape: [null, 2] } }],
        },
      },
    });
    out[name] = true;
  } catch (e) {
    out[name] = false;
  }
}
console.log(JSON.stringify(out));
