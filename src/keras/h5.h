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
#include <memory>
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
// converter refuses; a soft, external or user-defined link on the way to a layer or weight; a
// dataset stored outside the file: external or virtual layout), kTooLarge / kShapeOverflow
// (caps). Only hard links are followed: no other file is ever opened. Equivalent to a
// KerasH5Reader whose weights are each read into a new Tensor.
H5Model readKerasH5(const std::string& path, const H5ReadOptions& options = {});

// One weight of a Keras .h5 as KerasH5Reader lists it, before any of its bytes is read.
struct H5WeightInfo {
  std::string name;               // as stored in weight_names ("dense/kernel:0")
  std::vector<int64_t> shape;     // [] is a scalar
  DType dtype = DType::kFloat32;  // what read() produces: kFloat32, kInt32 or kBool
  uint64_t byteLength = 0;        // elements x dtypeSize(dtype): what read() writes
};

// One layer's weights, in the order readKerasH5 returns them.
struct H5LayerInfo {
  std::string name;
  std::vector<H5WeightInfo> weights;
};

// An open Keras .h5, read in two steps so that a caller can place every weight's bytes where
// they finally belong (`tfjs convert` reads them straight into the output weight buffer): the
// constructor reads the root attributes and lists every weight (names, shapes, dtypes, sizes;
// with readKerasH5's order, checks and caps, and no weight byte read); read() then reads one
// weight, converted as readKerasH5 converts it, into a caller's buffer. A float dataset is read
// by HDF5 directly into that buffer (float16/float64 converted on the way); only int64 datasets
// go through a temporary of one weight.
//
// The reader owns the open file and silences HDF5's error printing until it is destroyed. Not
// thread-safe: libhdf5 (serial build) has global state, so no two readers (or a reader and
// another HDF5 call) may run at once from different threads. Errors are
// readKerasH5's; the constructor throws every one that the listing can detect, read() those
// only reading finds (kTruncated / kSchema for bytes HDF5 cannot read, kSchema when the file
// changed since it was listed).
class KerasH5Reader {
 public:
  explicit KerasH5Reader(const std::string& path, const H5ReadOptions& options = {});
  ~KerasH5Reader();
  KerasH5Reader(const KerasH5Reader&) = delete;
  KerasH5Reader& operator=(const KerasH5Reader&) = delete;

  // The root attributes (path, weightsOnly, kerasVersion, backend, modelConfig,
  // trainingConfig); its `layers` is empty: the weights are layers().
  const KerasFile& attributes() const;
  // Every layer, in the converter's order, with its weights listed (none when
  // options.readWeights is false).
  const std::vector<H5LayerInfo>& layers() const;
  // Reads weight `index` of layer `layer` into `dest`, which must hold exactly its byteLength
  // bytes (kInvalidArgument otherwise, or for an index out of range). `dest` needs no alignment.
  void read(size_t layer, size_t index, uint8_t* dest, uint64_t destSize);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

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
