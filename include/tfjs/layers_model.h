// tfjs/layers_model.h — running a TF.js layers model natively, as tf.loadLayersModel does.
//
// A LayersModel is built from the Keras topology of a layers model (Sequential, Functional /
// Model, nested models; Keras 2, Keras 3, tfjs-layers and old-converter spellings) and its
// weights, bound by name the way tfjs-layers binds them: `<layer name>/<variable>`, with
// TF.js's fallback that drops the second-to-last path component (`lstm/lstm_cell/kernel`), and
// Keras 3's model-name prefixes (`sequential/dense/kernel`). Strict by default: a weight with no
// variable, or a variable with no weight, is an error listing the names.
//
// A LayersModel's weights change only through fit(), setWeights() and Layer::setWeights();
// predict() may be called from several threads at once, but not while one of those runs. A model
// cannot be copied, only moved; clone() makes an independent deep copy. Weights are not copied at
// load: aligned float32 weights stay views into the loaded weight buffer, held read-only (a
// Buffer is copy on write, so writing the caller's ModelArtifacts::weightData afterwards never
// reaches the model); fit() and setWeights() first give the model its own copy.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/train.h"

namespace tfjs {
namespace internal {
class GraphTrainer;
struct TrainingState;
}  // namespace internal
class Layer;

struct ModelOptions {
  bool strict = true;  // missing or extra weights are an error (TF.js's default)
  // Threads predict() computes with (oneDNN's OpenMP threads, set for the calling thread during
  // each call and restored after it, so calls from several threads with different models do not
  // interfere). 0: OpenMP's default, OMP_NUM_THREADS when set, else every core. Idle OpenMP
  // workers spin between layers; on a machine shared with other busy processes,
  // OMP_WAIT_POLICY=passive in the environment keeps them from taking the CPU the work needs.
  int threads = 0;
  // Run the plain reference kernels instead of the fast oneDNN ones (slow; for checking results).
  // TFJS_REFERENCE_KERNELS=1 in the environment does the same for every model.
  bool referenceKernels = false;
  // Samples per pass through the layers: predict() runs a batch larger than this as consecutive
  // sub-batches and joins their outputs (at inference every layer treats its samples
  // independently, so the result is the same up to float32 summation order), which keeps a big
  // network's activations in the CPU caches instead of streaming them through memory.
  // 0: chosen from the model's largest per-sample activation (about 4 MiB of activations per
  // pass; a model whose shapes are not all known is never split); negative: never split.
  int64_t batchChunk = 0;
};

// What computes on this CPU, as benchmarks report it: the instruction set oneDNN dispatches to
// ("avx2", "avx512_core", ...), the library of Dense's matrix products for `rows` rows
// ("openblas" or "onednn"; chosen per CPU: OpenBLAS below AVX-512 from 4 rows, oneDNN otherwise),
// and the kernel of the recurrent layers' gate products ("onednn-matmul-any", "-ab" or "-ba": the
// weights' layout). TFJS_GEMM=onednn|openblas and TFJS_DENSE_WEIGHTS=any|ab|ba override them.
struct KernelInfo {
  std::string isa;
  std::string dense;
  std::string recurrent;
};
KernelInfo kernelInfo(int64_t rows);

struct TensorInfo {
  std::string name;            // the input or output layer's name
  std::vector<int64_t> shape;  // -1 for unknown dimensions (the batch, ...)
  DType dtype = DType::kFloat32;
};

class LayersModel {
 public:
  LayersModel(const LayersModel&) = delete;  // use clone()
  LayersModel& operator=(const LayersModel&) = delete;
  LayersModel(LayersModel&&) noexcept = default;
  LayersModel& operator=(LayersModel&&) noexcept = default;
  ~LayersModel();

  // Builds the model from loaded artifacts. Throws tfjs::Error: kUnsupported naming the layer and
  // its class for what cannot run (Lambda, custom classes, TensorFlowOpLayer, unsupported
  // options), kSchema for a malformed topology, kInvalidArgument for weight binding problems.
  static LayersModel fromArtifacts(const ModelArtifacts& artifacts,
                                   const ModelOptions& options = {});

  const std::string& name() const;
  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  // Runs the model: one tensor per input, in inputs() order, any batch size. float32 and int32
  // inputs are accepted (int32 is converted); every input must have the same number of samples.
  // Returns one tensor per output, in outputs() order. Intermediate arrays of 256 KiB or more
  // are kept when freed (up to 256 MiB per process) and reused by the next call, so repeated
  // calls do not fault fresh pages in.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs) const;
  Tensor predict(const Tensor& input) const;
  // The same with the inputs given by name (TF.js's NamedTensorMap: the input layers' names, as
  // inputs() lists them); a missing or unknown name is an error listing the input names.
  std::vector<Tensor> predictNamed(const std::map<std::string, Tensor>& inputs) const;

  // The Keras-style summary (as `tfjs inspect` prints it).
  std::string summary() const;
  // The samples per pass predict() uses (ModelOptions::batchChunk as resolved; 0: never splits).
  int64_t batchChunk() const;

  // --- training (tfjs/train.h), as tfjs-layers' compile / fit / evaluate ---
  // Chooses the optimizer, loss(es) and metrics. Throws kInvalidArgument naming an unknown one
  // (and listing the known ones), or a loss count that is neither 1 nor the output count.
  void compile(const CompileArgs& args);
  // Trains the model in place (compile first). x: one tensor per input, y: one per output, with
  // the same number of samples (dimension 0). Everything is checked before the first step:
  // sample counts, shapes against the model's inputs and outputs, finite values, the loss's
  // needs (e.g. class indices for sparseCategoricalCrossentropy); each problem is
  // kInvalidArgument. Layers without a backward pass yet are kUnsupported, naming the layer.
  History fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const FitArgs& args = {});
  History fit(const Tensor& x, const Tensor& y, const FitArgs& args = {});
  // The loss and metrics of the compiled model on (x, y), averaged as TF.js's evaluate does.
  Logs evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                int batchSize = 32) const;
  // The current weights, named and ordered as the model's weights manifest (float32). The
  // tensors are values: later training does not change them.
  std::vector<NamedTensor> getWeights() const;
  // Replaces every weight (tf.LayersModel.setWeights): one tensor per getWeights() entry, in
  // that order, of the same shape (float32; int32 is converted). Throws kInvalidArgument naming
  // the first weight whose count, shape or dtype does not match, before changing anything.
  void setWeights(const std::vector<Tensor>& weights);

  // The layers, in the model's config order (model.layers; InputLayers are not listed), and one
  // by name (model.getLayer(name); kInvalidArgument listing the names when there is none). A
  // nested model is one layer. A Layer shares its model: it stays valid when the model is moved.
  std::vector<Layer> layers() const;
  Layer getLayer(const std::string& name) const;

  // An independent model with the same topology and the current weights (including trainable
  // flags), not compiled (as Keras's clone_model followed by set_weights).
  LayersModel clone() const;
  // toArtifacts() + saveModel(): the model as TF.js's model.save() writes it, into folder `dir`.
  void save(const std::string& dir, const SaveOptions& options = {},
            bool includeOptimizer = false) const;
  // The model as TF.js's model.save() writes it: the topology, the current weights as one
  // float32 group, `trainingConfig` when compiled (and the optimizer's state as a second group
  // "optimizer" when includeOptimizer and fit has run), format "layers-model" and generatedBy /
  // convertedBy naming tfjs-cpp. Pass the result to saveModel().
  ModelArtifacts toArtifacts(bool includeOptimizer = false) const;

 private:
  friend class internal::GraphTrainer;
  friend class Layer;
  struct Rep;
  LayersModel() = default;
  Rep& rep() const;  // throws kInvalidArgument on a moved-from model
  std::shared_ptr<Rep> rep_;
};

// One layer of a LayersModel, as model.layers and model.getLayer() give it in TF.js: a handle
// that shares its model (the model stays alive while a Layer of it does).
class Layer {
 public:
  const std::string& name() const;
  const std::string& className() const;  // getClassName(): "Dense", "Conv2D", ...
  const Json& getConfig() const;         // the layer's Keras config
  // Whether fit() trains this layer's weights (layer.trainable). setTrainable(false) freezes them
  // for transfer learning; it takes effect at the next fit() (no recompile needed) and is saved
  // in the topology as the layer's "trainable".
  bool trainable() const;
  void setTrainable(bool trainable);
  // This layer's weights ("dense/kernel", ...; a nested model: all of its layers'), as values.
  std::vector<NamedTensor> getWeights() const;
  // Replaces this layer's weights, in getWeights() order (checked as LayersModel::setWeights).
  void setWeights(const std::vector<Tensor>& weights);
  int64_t countParams() const;

 private:
  friend class LayersModel;
  Layer(std::shared_ptr<LayersModel::Rep> rep, size_t index)
      : rep_(std::move(rep)), index_(index) {}
  std::shared_ptr<LayersModel::Rep> rep_;
  size_t index_ = 0;  // into the model's top-level layers
};

// A model from a Keras topology alone (tf.models.modelFromJSON): every variable filled by its
// initializer from the layer's config (kernel_initializer, bias_initializer, ...; Keras's
// defaults when a config names none), drawn from tfjs-cpp's seeded stream (`seed`). Throws as
// fromArtifacts, and kUnsupported for an initializer tfjs does not know.
LayersModel modelFromJSON(const Json& modelTopology, uint64_t seed = 0,
                          const ModelOptions& options = {});

// tf.loadLayersModel: loadModel() + LayersModel::fromArtifacts() for a TF.js model (folder,
// model.json, file:// or http(s):// URL); a local Keras .h5, .keras archive or SavedModel folder
// is read with the converter's readers (loadAnyModel, tfjs/convert.h) and loaded the same way.
LayersModel loadLayersModel(const std::string& location, const LoadOptions& load = {},
                            const ModelOptions& options = {});

}  // namespace tfjs
