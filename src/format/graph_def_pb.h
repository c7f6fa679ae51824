// format/graph_def_pb.h — a binary TensorFlow GraphDef (protobuf) to and from the JSON form that
// tensorflowjs_converter writes as a graph model's modelTopology (protobuf's JSON mapping:
// {"node": [{name, op, input, device, attr: {key: AttrValue}}], "library", "versions"}).
//
// The wire format is read and written by libprotobuf with our own GraphDef .proto
// (format/proto/graph_def.proto, TensorFlow's field numbers), and the JSON by protobuf's own
// JSON printer and parser. Every byte is untrusted: the decoder walks the top-level fields first,
// so a file cut short, a node that does not parse or a non-GraphDef file comes back as an Error
// naming the file, the node and the byte range, never as a crash or a silently empty graph.
// Used by the tfjs-converter 0.x loader (io: tensorflowjs_model.pb) and meant for any reader of a
// GraphDef (a SavedModel's MetaGraphDef.graph_def). Thread-safe: no shared state.
#pragma once

#include <string>
#include <string_view>

#include "tfjs/artifacts.h"

namespace tfjs::format {

// Decodes a serialized GraphDef into modelTopology JSON. `source` names the file in errors.
// Throws Error: kTruncated (a field runs past the end: the byte range), kSchema (not a GraphDef,
// a node or the library that does not parse, a graph with no node).
Json graphDefToJson(std::string_view bytes, const std::string& source);

// The inverse: modelTopology JSON (as a graph model.json holds it) serialized as a binary
// GraphDef. Throws Error(kSchema) when the JSON has a key or value the GraphDef has no field for.
std::string graphDefFromJson(const Json& topology, const std::string& source);

}  // namespace tfjs::format
