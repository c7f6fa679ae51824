// tfjs convert INPUT OUTPUT [--input_format F] [--output_format F] [--quantize_uint8 [PATTERNS]]
//   [--quantize_uint16 [PATTERNS]] [--quantize_float16 [PATTERNS]] [--weight_shard_size_bytes N]
//   [--split_weights_by_layer] [--metadata KEY:FILE,...] [--keep_keras3_topology] [--overwrite]
//   [--json] ...
// tensorflowjs_converter's flags (underscored and dashed spellings), defaults and output: every
// flag of its 4.x command line is accepted. --quantization_bytes 1|2 (deprecated there) is
// --quantize_uint8 / --quantize_uint16; the flags of graph conversions (--skip_op_check,
// --strip_debug_ops, --saved_model_tags, --output_node_names, --experiments,
// --use_structured_outputs_names) are ignored with a note, as the converter ignores them for
// layers models; --signature_name and --control_flow_v2 are refused where the converter refuses
// them (they apply to tf_saved_model / tf_hub inputs and tfjs_graph_model outputs, which this
// version makes only from graph models: their weights re-quantized and re-sharded).
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include "common.h"
#include "inputs.h"
#include "tfjs/convert.h"
#include "tfjs/version.h"

namespace tfjs::cli {
namespace {

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The converter's type=bool flags take a value (any non-empty one is true in argparse; here
// true/false words), written --flag=VALUE or --flag VALUE; a bare --flag is true.
std::optional<bool> boolWord(const std::string& v) {
  std::string l;
  for (char ch : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (l.empty() || l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  return std::nullopt;
}

}  // namespace

void registerConvert(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "convert",
      "convert a Keras .h5 / .keras / SavedModel to a TF.js layers model, a TF.js layers model "
      "to a Keras .h5 / .keras, or re-shard / re-quantize a TF.js layers model, as "
      "tensorflowjs_converter does (same flags and output)");
  struct Opts {
    std::string input, output;
    std::string inputFormat, outputFormat;
    std::vector<std::string> q8, q16, qf16;
    CLI::Option* o8 = nullptr;
    CLI::Option* o16 = nullptr;
    CLI::Option* of16 = nullptr;
    uint64_t shard = 4194304;
    bool split = false;
    std::string metadata;
    bool keepKeras3 = false;
    bool allowCustom = false;
    bool keepPreprocessing = false;
    bool json = false;
    bool report = false;
    bool sync = false;
    bool overwrite = false;
    std::vector<std::string> samples;
    int quantizationBytes = 0;
    bool skipOpCheck = false;
    bool version = false;
    std::string signatureName, savedModelTags, outputNodeNames;
    // type=bool flags of the converter: the value given (or "true" for a bare flag).
    std::vector<std::string> stripDebugOps, controlFlowV2, experiments, structuredOutputs;
    std::vector<std::tuple<const char*, CLI::Option*, std::vector<std::string>*>> boolFlags;
  };
  auto o = std::make_shared<Opts>();
  // Both optional for the parser: a quantize flag written without a value may have taken one
  // (see the callback).
  cmd->add_option("INPUT", o->input,
                  "a Keras .h5 or .keras file, a Keras SavedModel folder, or a TF.js model "
                  "folder / model.json");
  cmd->add_option("OUTPUT", o->output,
                  "a folder for tfjs_layers_model / tfjs_graph_model, a file for keras / "
                  "keras_keras; it must not exist");
  cmd->add_option("--input_format,--input-format", o->inputFormat,
                  "keras (.h5) | keras_keras (.keras) | keras_saved_model | tfjs_layers_model | "
                  "tfjs_graph_model (re-quantized and re-sharded); detected when omitted");
  cmd->add_option("--output_format,--output-format", o->outputFormat,
                  "tfjs_layers_model (the default for keras and keras_saved_model inputs; "
                  "required for keras_keras) | keras (.h5, the default for tfjs_layers_model "
                  "inputs) | keras_keras (.keras) | tfjs_graph_model (the default for "
                  "tfjs_graph_model inputs)");
  const char* qhelp =
      "store matching float32 weights as {}: comma-separated wildcard patterns of weight names "
      "(--{}=PATTERNS), or every other weight when given without a value";
  o->o8 = cmd->add_option("--quantize_uint8,--quantize-uint8", o->q8,
                          fmt::format(fmt::runtime(qhelp), "uint8", "quantize_uint8"))
              ->expected(0, 1)
              ->allow_extra_args(false);
  o->o16 = cmd->add_option("--quantize_uint16,--quantize-uint16", o->q16,
                           fmt::format(fmt::runtime(qhelp), "uint16", "quantize_uint16"))
               ->expected(0, 1)
               ->allow_extra_args(false);
  o->of16 = cmd->add_option("--quantize_float16,--quantize-float16", o->qf16,
                            fmt::format(fmt::runtime(qhelp), "float16", "quantize_float16"))
                ->expected(0, 1)
                ->allow_extra_args(false);
  cmd->add_option("--weight_shard_size_bytes,--weight-shard-size-bytes", o->shard,
                  "shard file size in bytes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--split_weights_by_layer,--split-weights-by-layer", o->split,
                "one weight group per layer (keras inputs)");
  cmd->add_option("--metadata", o->metadata,
                  "KEY:FILE.json[,KEY2:FILE2.json]: user-defined metadata written into "
                  "model.json");
  cmd->add_flag("--keep_keras3_topology,--keep-keras3-topology", o->keepKeras3,
                "write a Keras 3 .h5's topology and weight names as they are (as the converter "
                "does; TF.js 4.22 cannot load that form)");
  cmd->add_flag("--allow_custom_classes,--allow-custom-classes", o->allowCustom,
                "convert layer classes TF.js does not know (Lambda layers are always refused)");
  cmd->add_flag("--keep_preprocessing_layers,--keep-preprocessing-layers", o->keepPreprocessing,
                "keep Keras preprocessing layers TF.js 4.22 cannot load (RandomFlip, ..., "
                "Normalization) as they are, for an app that registers its own; by default the "
                "random augmentation layers (the identity at inference) are left out and "
                "Normalization is written as BatchNormalization or Rescaling");
  cmd->add_flag("--report", o->report,
                "with a --quantize_* flag: print, per quantized weight, its range, scale and the "
                "largest difference between the float32 and the dequantized values");
  cmd->add_option(
         "--sample", o->samples,
         "with --report: an input (one per model input, in order: a .npy, a JSON literal "
         "such as '[[10]]', @FILE.json, a .csv or an image, as for predict) run through the "
         "float32 and the quantized model with the native runtime; prints the largest "
         "output difference")
      ->allow_extra_args(false);
  cmd->add_flag("--sync", o->sync,
                "wait until the output is on the disk (fsync every file and folder; off by "
                "default, as for cp and tensorflowjs_converter: the output appears whole or not "
                "at all either way)");
  cmd->add_flag("--overwrite", o->overwrite,
                "replace an existing output (folder or file): the new output is written beside "
                "it and renamed into place, the old one removed only then");
  cmd->add_option("--quantization_bytes,--quantization-bytes", o->quantizationBytes,
                  "(deprecated in tensorflowjs_converter) 1: --quantize_uint8, 2: "
                  "--quantize_uint16, for every float32 weight")
      ->check(CLI::IsMember({1, 2}));
  cmd->add_flag("--skip_op_check,--skip-op-check", o->skipOpCheck,
                "graph models only (op validation); ignored for layers models, as the converter "
                "ignores it");
  cmd->add_option("--signature_name,--signature-name", o->signatureName,
                  "tf_saved_model / tf_hub inputs only (graph conversion, not available in this "
                  "version)");
  cmd->add_option("--saved_model_tags,--saved-model-tags", o->savedModelTags,
                  "tf_saved_model inputs only; ignored otherwise, as by the converter");
  cmd->add_option("--output_node_names,--output-node-names", o->outputNodeNames,
                  "tf_frozen_model inputs only; ignored otherwise, as by the converter");
  auto boolFlag = [&](const char* names, const char* flag, std::vector<std::string>& v,
                      const char* help) {
    CLI::Option* opt = cmd->add_option(names, v, help)->expected(0, 1)->allow_extra_args(false);
    o->boolFlags.emplace_back(flag, opt, &v);
  };
  boolFlag("--strip_debug_ops,--strip-debug-ops", "--strip_debug_ops", o->stripDebugOps,
           "[BOOL] graph models only (strips Print / Assert / CheckNumerics); ignored for layers "
           "models, as the converter ignores it");
  boolFlag("--control_flow_v2,--control-flow-v2", "--control_flow_v2", o->controlFlowV2,
           "[BOOL] tfjs_graph_model outputs only (refused otherwise, as by the converter)");
  boolFlag("--experiments", "--experiments", o->experiments,
           "[BOOL] graph conversion only; ignored for layers models");
  boolFlag("--use_structured_outputs_names,--use-structured-outputs-names",
           "--use_structured_outputs_names", o->structuredOutputs,
           "[BOOL] tf_saved_model -> tfjs_graph_model only; ignored for layers models");
  cmd->add_flag("-v,--version", o->version,
                "print the version (tensorflowjs_converter's --version) and exit");
  cmd->add_flag("--json", o->json, "print the result as JSON");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      if (o->version) {
        std::printf("tfjs-cpp %s (convert: tensorflowjs_converter 4.22's command line)\n",
                    TFJS_VERSION);
        return kOk;
      }
      std::vector<std::string> paths;
      for (const std::string* p : {&o->input, &o->output}) {
        if (!p->empty()) paths.push_back(*p);
      }
      // A quantize flag given without a value takes the next word when one follows, and so does
      // a bool flag (`--strip_debug_ops PATH`: the flag was bare, true); give the words back to
      // INPUT/OUTPUT when those are short (an existing path was the input).
      std::vector<std::vector<std::string>*> valued = {&o->q8, &o->q16, &o->qf16};
      std::map<std::string, bool> bools;
      for (auto& [flag, opt, vals] : o->boolFlags) {
        if (opt->count() == 0) continue;
        bool value = true;
        for (auto it = vals->begin(); it != vals->end();) {
          if (auto b = boolWord(*it)) {
            value = *b;
            it = vals->erase(it);
          } else {
            ++it;
          }
        }
        bools[flag] = value;
        valued.push_back(vals);
      }
      for (auto* vals : valued) {
        if (paths.size() >= 2 || vals->empty()) continue;
        const std::string v = vals->back();
        std::error_code ec;
        if (v.find_first_of("*?[") != std::string::npos && !std::filesystem::exists(v, ec)) {
          continue;
        }
        vals->pop_back();
        if (std::filesystem::exists(v, ec) &&
            (paths.empty() || !std::filesystem::exists(paths[0], ec))) {
          paths.insert(paths.begin(), v);
        } else {
          paths.push_back(v);
        }
      }
      if (paths.size() != 2) {
        throw Error(ErrorCode::kInvalidArgument,
                    "tfjs convert needs INPUT and OUTPUT (write patterns as "
                    "--quantize_uint8=PATTERNS)");
      }
      for (auto* vals : valued) {
        if (vals == &o->q8 || vals == &o->q16 || vals == &o->qf16 || vals->empty()) continue;
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is not a true/false value, and INPUT and OUTPUT are given",
                                vals->front()));
      }
      std::vector<std::string> notes;
      const std::string inputFormat =
          o->inputFormat.empty() ? detectInputFormat(paths[0]) : o->inputFormat;
      std::string outputFormat = o->outputFormat;
      if (outputFormat.empty()) {
        outputFormat = inputFormat == "tfjs_layers_model" ? "keras"
                       : inputFormat.starts_with("tf_") || inputFormat == "tfjs_graph_model"
                           ? "tfjs_graph_model"
                           : "tfjs_layers_model";
      }
      const bool graphOut = outputFormat == "tfjs_graph_model";
      if (!o->signatureName.empty() && inputFormat != "tf_saved_model" && inputFormat != "tf_hub") {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("--signature_name applies to tf_saved_model and tf_hub inputs "
                                "only (as in tensorflowjs_converter), and the input format is {}",
                                inputFormat));
      }
      if (bools.count("--control_flow_v2") && bools["--control_flow_v2"] && !graphOut) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("--control_flow_v2 applies to tfjs_graph_model outputs only (as "
                                "in tensorflowjs_converter), and the output format is {}",
                                outputFormat));
      }
      if (!graphOut) {
        auto ignored = [&](bool given, const char* flag, const char* what) {
          if (given) {
            notes.push_back(
                fmt::format("{} ignored: it applies to {} only (as "
                            "tensorflowjs_converter ignores it here)",
                            flag, what));
          }
        };
        ignored(o->skipOpCheck, "--skip_op_check", "graph models (tfjs_graph_model output)");
        ignored(bools.count("--strip_debug_ops") > 0, "--strip_debug_ops",
                "graph models (tfjs_graph_model output)");
        ignored(bools.count("--experiments") > 0, "--experiments",
                "graph models (tfjs_graph_model output)");
        ignored(bools.count("--use_structured_outputs_names") > 0, "--use_structured_outputs_names",
                "tf_saved_model -> tfjs_graph_model");
        ignored(!o->savedModelTags.empty(), "--saved_model_tags", "tf_saved_model inputs");
        ignored(!o->outputNodeNames.empty(), "--output_node_names", "tf_frozen_model inputs");
      }
      if (o->quantizationBytes != 0) {
        if (o->o8->count() || o->o16->count() || o->of16->count()) {
          throw Error(ErrorCode::kInvalidArgument,
                      "--quantization_bytes cannot be used with the --quantize_* flags (as in "
                      "tensorflowjs_converter)");
        }
        notes.push_back(
            fmt::format("--quantization_bytes is deprecated (tensorflowjs_converter warns so too): "
                        "--quantization_bytes {} is --quantize_{}",
                        o->quantizationBytes, o->quantizationBytes == 1 ? "uint8" : "uint16"));
      }
      ConvertOptions c;
      c.inputFormat = o->inputFormat;
      c.outputFormat = o->outputFormat;
      c.weightShardSizeBytes = o->shard;
      c.splitWeightsByLayer = o->split;
      c.keepKeras3Topology = o->keepKeras3;
      c.allowCustomClasses = o->allowCustom;
      c.keepPreprocessingLayers = o->keepPreprocessing;
      c.sync = o->sync;
      c.overwrite = o->overwrite;
      if (o->quantizationBytes != 0) {
        c.quantization.push_back({o->quantizationBytes == 1 ? DType::kUint8 : DType::kUint16, {}});
      }
      auto addRule = [&](CLI::Option* opt, const std::vector<std::string>& vals, DType dt) {
        if (opt->count() == 0) return;
        QuantizeRule rule;
        rule.dtype = dt;
        for (const auto& v : vals) {
          for (auto& p : splitComma(v)) rule.patterns.push_back(std::move(p));
        }
        c.quantization.push_back(std::move(rule));
      };
      addRule(o->o8, o->q8, DType::kUint8);
      addRule(o->o16, o->q16, DType::kUint16);
      addRule(o->of16, o->qf16, DType::kFloat16);
      for (const auto& item : splitComma(o->metadata)) {
        const auto colon = item.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("--metadata '{}': expected KEY:FILE.json", item));
        }
        c.metadata.emplace_back(item.substr(0, colon), item.substr(colon + 1));
      }
      c.report = o->report || !o->samples.empty();
      for (const auto& f : o->samples) c.sample.push_back(readInput(f));
      ConvertResult r = convertModel(paths[0], paths[1], c);
      r.notes.insert(r.notes.begin(), notes.begin(), notes.end());
      if (o->json) {
        Json out = Json::object();
        out["input"] = paths[0];
        out["output"] = paths[1];
        out["inputFormat"] = r.inputFormat;
        out["outputFormat"] = r.outputFormat;
        out["kerasVersion"] = r.kerasVersion;
        out["weights"] = r.weights;
        out["groups"] = r.groups;
        out["files"] = r.files;
        out["bytes"] = r.bytes;
        out["notes"] = r.notes;
        if (c.report) {
          Json q = Json::array();
          for (const auto& w : r.quantized) {
            q.push_back({{"name", w.name},
                         {"dtype", w.dtype},
                         {"min", w.min ? Json(*w.min) : Json(nullptr)},
                         {"scale", w.scale ? Json(*w.scale) : Json(nullptr)},
                         {"elements", w.elements},
                         {"maxAbsError", w.maxAbsError}});
          }
          out["quantized"] = q;
          Json smp = Json::array();
          for (const auto& d : r.sample) {
            smp.push_back({{"output", d.output},
                           {"maxAbsDifference", d.maxAbsDifference},
                           {"maxAbsValue", d.maxAbsValue}});
          }
          out["sample"] = smp;
          out["sampleError"] = r.sampleError.empty() ? Json(nullptr) : Json(r.sampleError);
        }
        std::printf("%s\n", jsonText(out).c_str());
      } else {
        std::printf("converted %s (%s%s) -> %s (%s): %zu weights, %s bytes in %zu file(s)\n",
                    paths[0].c_str(), r.inputFormat.c_str(),
                    r.kerasVersion.empty() ? "" : (", keras " + r.kerasVersion).c_str(),
                    paths[1].c_str(), r.outputFormat.c_str(), r.weights,
                    withCommas(r.bytes).c_str(), r.files);
        for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
        if (c.report) {
          std::printf("\n%-40s %-8s %12s %14s %14s %12s\n", "quantized weight", "dtype", "elements",
                      "min", "scale", "max |error|");
          for (const auto& w : r.quantized) {
            std::printf("%-40s %-8s %12s %14s %14s %12.6g\n", w.name.c_str(), w.dtype.c_str(),
                        withCommas(w.elements).c_str(),
                        w.min ? fmt::format("{:.7g}", *w.min).c_str() : "-",
                        w.scale ? fmt::format("{:.7g}", *w.scale).c_str() : "-", w.maxAbsError);
          }
          for (const auto& d : r.sample) {
            std::printf(
                "sample: output '%s': max |float32 - quantized| = %.6g (max |output| %.6g)\n",
                d.output.c_str(), d.maxAbsDifference, d.maxAbsValue);
          }
          if (!r.sampleError.empty()) {
            std::printf("sample: not run: %s\n", r.sampleError.c_str());
          }
        }
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
