// The layer classes the pinned TF.js registers (tf.serialization's class map, the Layer
// subclasses only): what tf.loadLayersModel can deserialize. Prints a sorted JSON array.
//   usage: node layer_classes.mjs
import * as tf from '@tensorflow/tfjs';

const map = tf.serialization.SerializationMap.getMap().classNameMap;
const names = Object.keys(map).filter((name) => {
  const cls = map[name][0];
  return cls && cls.prototype instanceof tf.layers.Layer;
});
console.log(JSON.stringify(names.sort()));
