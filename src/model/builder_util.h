// The pieces every layer factory of the builder (tfjs/builder.h) shares: Keras config forms of
// initializers and regularizers, and the config keys every layer has.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/builder.h"

namespace tfjs::detail {

// {"class_name": "GlorotUniform", "config": {"seed": null}} for "glorot_uniform" or
// "glorotUniform" (TF.js reads initializers from model.json in this object form).
Json initializer(const std::string& name);
// {"class_name": "L1L2", "config": {"l1", "l2"}}, or null; kInvalidArgument for negative values.
Json regularizer(const std::optional<layers::Regularizer>& r);
// Appends what Dense and the convolutions write after their activation, in TF.js's key order:
// use_bias, the kernel and bias initializers and regularizers, and null activity regularizer and
// constraints.
template <typename Args>
void kernelAndBias(Json& cfg, const Args& a) {
  cfg["use_bias"] = a.useBias;
  cfg["kernel_initializer"] = initializer(a.kernelInitializer);
  cfg["bias_initializer"] = initializer(a.biasInitializer);
  cfg["kernel_regularizer"] = regularizer(a.kernelRegularizer);
  cfg["bias_regularizer"] = regularizer(a.biasRegularizer);
  cfg["activity_regularizer"] = nullptr;
  cfg["kernel_constraint"] = nullptr;
  cfg["bias_constraint"] = nullptr;
}

// `v` repeated to `rank` values (one value given) or as it is (`rank` given); else
// kInvalidArgument naming `what`.
std::vector<int64_t> repeat(const std::vector<int64_t>& v, size_t rank, const char* what);
// A layer config: `cfg` plus name, trainable, dtype and batch_input_shape (from inputShape).
LayerConfig make(const std::string& cls, Json cfg, const std::vector<int64_t>& inputShape,
                 const std::string& name, bool trainable = true);
LayerConfig conv(const char* cls, size_t rank, const layers::ConvArgs& a);
LayerConfig pooling(const char* cls, const layers::PoolingArgs& a, size_t rank);
LayerConfig recurrent(const char* cls, const layers::RecurrentArgs& a, bool gates);

// Argument checks of the layer factories: kInvalidArgument naming the layer (`name`, or its class
// `cls` when unnamed) and the argument, as TF.js's ValueErrors do.
[[noreturn]] void invalidArg(const char* cls, const std::string& name, const char* arg,
                             const std::string& why);
void checkPositive(const char* cls, const std::string& name, const char* arg, int64_t v);
void checkPositive(const char* cls, const std::string& name, const char* arg,
                   const std::vector<int64_t>& v);
void checkOneOf(const char* cls, const std::string& name, const char* arg, const std::string& v,
                std::initializer_list<const char*> allowed);
void checkActivation(const char* cls, const std::string& name, const char* arg,
                     const std::string& v);
void checkInputShape(const char* cls, const std::string& name, const std::vector<int64_t>& s);

}  // namespace tfjs::detail
