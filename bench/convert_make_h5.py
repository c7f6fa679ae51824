#!/usr/bin/python3
"""bench/convert_make_h5.py OUT.h5 [--layers N] [--units U] [--seed S]

Writes the model of bench/convert.sh: a Keras 2 (tf.keras 2.12) layout .h5 of a Sequential MLP,
InputLayer [None, U] -> N x Dense(U, relu) -> Dense(10, softmax), float32 weights drawn from a
seeded normal(0, 0.02) (so quantization sees a realistic spread). With the defaults (7 x 2048)
the weights are 117,579,816 bytes (112.1 MiB).

The layout is what `model.save('x.h5')` writes under Keras 2 (see the fixtures' pair_* .h5
files): root attributes keras_version, backend, model_config (JSON), training_config absent;
model_weights/ with attributes layer_names, backend, keras_version; one group per layer with a
`weight_names` attribute ("dense/kernel:0", "dense/bias:0"; an empty float64 array for layers
without weights) and the datasets at model_weights/<layer>/<layer>/<weight>:0, contiguous,
uncompressed, little-endian float32. Needs only h5py + numpy (Debian python3-h5py).
"""
import argparse
import json

import h5py
import numpy as np


def dense_config(name, units, activation):
    return {
        "class_name": "Dense",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=7)
    ap.add_argument("--units", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    u = args.units
    rng = np.random.default_rng(args.seed)

    names = [f"dense_{i}" if i else "dense" for i in range(args.layers + 1)]
    layers = [{
        "class_name": "InputLayer",
        "config": {"batch_input_shape": [None, u], "dtype": "float32", "sparse": False,
                   "ragged": False, "name": "dense_input"},
    }]
    shapes = []
    for i, name in enumerate(names):
        last = i == len(names) - 1
        units = 10 if last else u
        layers.append(dense_config(name, units, "softmax" if last else "relu"))
        shapes.append((name, (u, units), (units,)))
    model_config = {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": layers},
    }

    with h5py.File(args.out, "w") as f:
        f.attrs["keras_version"] = "2.12.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(model_config)
        mw = f.create_group("model_weights")
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = "2.12.0"
        mw.attrs["layer_names"] = np.array([n.encode() for n in names])
        for name, kshape, bshape in shapes:
            g = mw.create_group(name)
            g.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(),
                                                f"{name}/bias:0".encode()])
            inner = g.create_group(name)
            kernel = rng.standard_normal(kshape, dtype=np.float32)
            kernel *= np.float32(0.02)
            inner.create_dataset("kernel:0", data=kernel)
            inner.create_dataset("bias:0",
                                 data=(rng.standard_normal(bshape, dtype=np.float32) *
                                       np.float32(0.01)))


if __name__ == "__main__":
    main()
