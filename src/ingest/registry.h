// Which decoder handles a request: chosen by protocol (the endpoint) and Content-Type.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ingest/decoder.h"
#include "ingest/media_type.h"

namespace trackly::ingest {

// The ingest protocols (one per family of endpoints). Add an enumerator with a new format.
enum class IngestProtocol {
  kOtlpTraces,  // POST /v1/traces and its aliases
};

// What a request is decoded with and how its reply is encoded.
struct DecoderRoute {
  const Decoder* decoder = nullptr;  // owned by the registry, valid while it lives; never null
  WireEncoding response_encoding = WireEncoding::kJson;
};

// Thread-compatible: fill it (RegisterDecoders) before serving, then Find() from any thread.
class DecoderRegistry {
 public:
  // Routes requests of `protocol` whose bare media type is one of `media_types` (lowercase, no
  // parameters) to `decoder`, replying in `response_encoding`. A later registration of the same
  // (protocol, media type) replaces the earlier one.
  void Register(IngestProtocol protocol, std::vector<std::string> media_types,
                std::unique_ptr<Decoder> decoder, WireEncoding response_encoding);

  // The route for a Content-Type header value; parameters such as "; charset=utf-8" and letter
  // case are ignored. No route → UnsupportedMediaTypeError (InvalidArgument, see media_type.h;
  // the server answers 415) whose message names the type and lists the supported ones.
  absl::StatusOr<DecoderRoute> Find(IngestProtocol protocol, std::string_view content_type) const;

 private:
  std::vector<std::unique_ptr<Decoder>> decoders_;
  absl::flat_hash_map<std::pair<IngestProtocol, std::string>, DecoderRoute> routes_;
};

// Registers every decoder Trackly has. The one place a new wire format is wired in.
//   kOtlpTraces: application/x-protobuf, application/protobuf → OtlpProtoDecoder (protobuf reply)
//                application/json → OtlpJsonDecoder (JSON reply)
void RegisterDecoders(DecoderRegistry& registry);

}  // namespace trackly::ingest
