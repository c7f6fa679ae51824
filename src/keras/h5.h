// keras/h5.h — reading Keras HDF5 files (`model.save('x.h5')` and `save_weights('x.h5')`) with
// the libhdf5 C API, the way tensorflowjs_converter's keras_h5_conversion.py reads them.
//
// Internal header (not installed). readKerasH5() returns the root attributes (`keras_version`,
// `backend`, `model_config`, `training_config`) and every weight, grouped per layer in the order
// the converter visits them: the members of `model_weights` in name order (as h5py iterates), and
// for weights-only files the root `layer_names` order; inside a layer the `weight_names`
// attribute's order (a group without `weight_names` is searched recursively, in name order).
//
// Every file is untrusted: HDF5's own error printing is silenced and every failure becomes a
// tfjs::Error naming the file (and the dataset); dataset shapes and sizes are overflow-checked and
// capped before any byte is read; dtypes are converted as the converter's write_weights does
// (float64/float16 -> float32, int64 -> int32 with wrap-around, bool kept) and anything else is
// refused. Nothing in the file is ever executed. Not thread-safe: libhdf5 (serial build) has
// global state, so calls must not overlap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keras/keras_file.h"

namespace tfjs::keras {

using H5Model = KerasFile;
using H5ReadOptions = KerasReadOptions;

// True when the file starts with the HDF5 signature (at offset 0, 512, 1024, ... as HDF5 allows
// a user block). Never throws; a missing or unreadable file is false.
bool looksLikeHdf5(const std::string& path);

// Reads a Keras HDF5 file. Throws tfjs::Error: kNotFound, kIo (unreadable), kUnknownFormat (not
// HDF5), kTruncated (bytes missing), kSchema (corrupt HDF5, missing/ill-typed attributes,
// unparseable JSON, a weight_names entry without its dataset), kUnsupported (a dtype the
// converter refuses), kTooLarge / kShapeOverflow (caps).
H5Model readKerasH5(const std::string& path, const H5ReadOptions& options = {});

// What readH5Image() found in an HDF5 file image.
struct H5Image {
  std::vector<std::string> groups;    // every group reachable by hard links ("layers/dense/vars")
  std::vector<NamedTensor> datasets;  // the datasets read, named by path ("layers/dense/vars/0")
};

// Reads an HDF5 file held in memory (a `.keras` archive's model.weights.h5, never written to
// disk) through the core driver, with readKerasH5's checks: lists every group, and reads every
// dataset whose path is one of `prefixes` or lies under one (every dataset when `prefixes` is
// empty), converting dtypes and enforcing `options`' caps as readKerasH5 does (none is read when
// options.readWeights is false). Both lists are in path order, as h5py visits them. Only hard links
// are followed (soft and external links are ignored) and datasets stored outside the image
// (external or virtual layout) are refused. `name` names the image in errors. The image is copied;
// the caller keeps ownership of `image`. Throws tfjs::Error: kUnknownFormat (no HDF5 signature),
// kTruncated / kSchema (corrupt), kUnsupported (a dtype the converter refuses, external storage),
// kTooLarge / kShapeOverflow.
H5Image readH5Image(std::string_view image, const std::string& name,
                    const std::vector<std::string>& prefixes, const H5ReadOptions& options = {});

}  // namespace tfjs::keras
