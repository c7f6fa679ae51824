// A binary GraphDef to and from modelTopology JSON (format/graph_def_pb.h): a walk over the
// top-level fields that names what is wrong, then libprotobuf's parser and JSON printer.
#include "format/graph_def_pb.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>

#include <climits>

#include "src/format/proto/graph_def.pb.h"

namespace tfjs::format {

namespace {

namespace pb = google::protobuf;
namespace gd = tfjs::format::proto;

// GraphDef's top-level fields (tensorflow/core/framework/graph.proto).
constexpr uint32_t kNodeField = 1;
constexpr uint32_t kLibraryField = 2;
constexpr uint32_t kVersionField = 3;
constexpr uint32_t kVersionsField = 4;

constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// Walks the top-level fields of `bytes`, parsing every node, the library and the versions on
// their own so that a fault is reported with its place. Returns the node count.
size_t checkFields(std::string_view bytes, const std::string& source) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  pb::io::CodedInputStream in(data, size);
  in.SetTotalBytesLimit(INT_MAX);
  size_t nodes = 0;
  auto notGraphDef = [&](uint64_t at, const std::string& why) -> Error {
    Problem p{ErrorCode::kSchema, fmt::format("not a TensorFlow GraphDef: {} at byte {}", why, at),
              source, "", ByteRange{at, static_cast<uint64_t>(size)}};
    return Error(std::move(p));
  };
  while (true) {
    const uint64_t at = static_cast<uint64_t>(in.CurrentPosition());
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (static_cast<int>(at) != size) throw notGraphDef(at, "a field tag that does not parse");
      break;
    }
    const uint32_t field = tag >> 3;
    const uint32_t wire = tag & 7;
    auto cut = [&](uint64_t need) -> Error {
      return Error(Problem{ErrorCode::kTruncated,
                           fmt::format("the GraphDef is cut short: field {} at byte {} needs "
                                       "bytes up to {} but the file ends at {} (a truncated "
                                       "download or copy?)",
                                       field, at, need, size),
                           source, "", ByteRange{static_cast<uint64_t>(size), need}});
    };
    const bool known = field == kNodeField || field == kLibraryField || field == kVersionField ||
                       field == kVersionsField;
    const uint32_t expected = field == kVersionField ? kVarint : kLengthDelimited;
    if (known && wire != expected) {
      throw notGraphDef(
          at, fmt::format("field {} has wire type {} (expected {})", field, wire, expected));
    }
    // A varint that fails within its 10 bytes of the end ran out of file; elsewhere it is junk.
    auto badVarint = [&]() -> Error {
      const uint64_t from = static_cast<uint64_t>(in.CurrentPosition());
      if (static_cast<uint64_t>(size) - from < 10) return cut(static_cast<uint64_t>(size) + 1);
      return notGraphDef(from, "a varint longer than 10 bytes");
    };
    if (wire == kVarint) {
      uint64_t v = 0;
      if (!in.ReadVarint64(&v)) throw badVarint();
    } else if (wire == kFixed64 || wire == kFixed32) {
      const int n = wire == kFixed64 ? 8 : 4;
      const uint64_t from = static_cast<uint64_t>(in.CurrentPosition());
      if (!in.Skip(n)) throw cut(from + static_cast<uint64_t>(n));
    } else if (wire == kLengthDelimited) {
      uint32_t length = 0;
      if (!in.ReadVarint32(&length)) throw badVarint();
      const uint64_t from = static_cast<uint64_t>(in.CurrentPosition());
      const uint64_t to = from + length;
      if (to > static_cast<uint64_t>(size)) throw cut(to);
      const char* body = bytes.data() + from;
      const ByteRange range{from, to};
      if (field == kNodeField) {
        gd::NodeDef node;
        if (!node.ParseFromArray(body, static_cast<int>(length))) {
          throw Error(Problem{ErrorCode::kSchema,
                              fmt::format("node {} of the GraphDef (bytes {}..{}) is not a valid "
                                          "NodeDef (corrupt file?)",
                                          nodes + 1, from, to),
                              source, "", range});
        }
        ++nodes;
        if (node.name().empty() || node.op().empty()) {
          throw Error(Problem{ErrorCode::kSchema,
                              fmt::format("node {} of the GraphDef (bytes {}..{}) has no {}", nodes,
                                          from, to, node.name().empty() ? "name" : "op"),
                              source, "", range});
        }
      } else if (field == kLibraryField) {
        gd::FunctionDefLibrary library;
        if (!library.ParseFromArray(body, static_cast<int>(length))) {
          throw Error(Problem{ErrorCode::kSchema,
                              fmt::format("the GraphDef's function library (bytes {}..{}) is not "
                                          "a valid FunctionDefLibrary (corrupt file?)",
                                          from, to),
                              source, "", range});
        }
      } else if (field == kVersionsField) {
        gd::VersionDef versions;
        if (!versions.ParseFromArray(body, static_cast<int>(length))) {
          throw Error(Problem{ErrorCode::kSchema,
                              fmt::format("the GraphDef's versions (bytes {}..{}) are not a valid "
                                          "VersionDef (corrupt file?)",
                                          from, to),
                              source, "", range});
        }
      }
      if (!in.Skip(static_cast<int>(length))) throw cut(to);
    } else {
      // Groups (3, 4) and the reserved wire types: GraphDef has none.
      throw notGraphDef(at, fmt::format("field {} has wire type {}", field, wire));
    }
  }
  return nodes;
}

}  // namespace

Json graphDefToJson(std::string_view bytes, const std::string& source) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw Error(ErrorCode::kTooLarge,
                fmt::format("the GraphDef holds {} bytes, over protobuf's limit of {}",
                            bytes.size(), INT_MAX),
                source);
  }
  if (checkFields(bytes, source) == 0) {
    throw Error(ErrorCode::kSchema,
                bytes.empty() ? "the GraphDef file is empty"
                              : "the GraphDef holds no node (not a tensorflowjs_model.pb?)",
                source);
  }
  gd::GraphDef graph;
  if (!graph.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(ErrorCode::kSchema, "not a valid TensorFlow GraphDef (corrupt file?)", source);
  }
  graph.DiscardUnknownFields();
  std::string text;
  pb::util::JsonPrintOptions options;  // lowerCamelCase names, defaults omitted, as the converter
  const auto status = pb::util::MessageToJsonString(graph, &text, options);
  if (!status.ok()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the GraphDef cannot be written as JSON: {}", status.ToString()),
                source);
  }
  return Json::parse(text);
}

std::string graphDefFromJson(const Json& topology, const std::string& source) {
  gd::GraphDef graph;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(topology.dump(), &graph, options);
  if (!status.ok()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the topology is not a GraphDef's JSON: {}", status.ToString()),
                source);
  }
  std::string out;
  if (!graph.SerializeToString(&out)) {
    throw Error(ErrorCode::kSchema, "the GraphDef cannot be serialized", source);
  }
  return out;
}

}  // namespace tfjs::format
