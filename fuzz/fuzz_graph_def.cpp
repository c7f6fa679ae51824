// libFuzzer target for the binary GraphDef decoder (format/graph_def_pb.h: tensorflowjs_model.pb
// of tfjs-converter 0.x, and any GraphDef a SavedModel holds).
//
// The input is the bytes of a .pb. graphDefToJson must give modelTopology JSON or a tfjs::Error;
// what must never happen is a crash, a sanitizer report or another exception. A graph that
// decodes must also encode again (graphDefFromJson) and decode to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "format/graph_def_pb.h"
#include "tfjs/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tfjs::Json topology;
  try {
    topology = tfjs::format::graphDefToJson(bytes, "fuzz.pb");
  } catch (const tfjs::Error&) {
    return 0;  // refused, naming the problem
  }
  const std::string again = tfjs::format::graphDefFromJson(topology, "fuzz.pb");
  if (tfjs::format::graphDefToJson(again, "fuzz.pb") != topology) {
    std::fprintf(stderr, "fuzz_graph_def: a decoded graph does not survive its own encoding\n");
    std::abort();
  }
  return 0;
}
