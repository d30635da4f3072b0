#include "ingest/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ingest/otlp/otlp_json_decoder.h"
#include "ingest/otlp/otlp_proto_decoder.h"

namespace trackly::ingest {

void DecoderRegistry::Register(IngestProtocol protocol, std::vector<std::string> media_types,
                               std::unique_ptr<Decoder> decoder, WireEncoding response_encoding) {
  const DecoderRoute route{decoder.get(), response_encoding};
  decoders_.push_back(std::move(decoder));
  for (std::string& media_type : media_types) {
    routes_.insert_or_assign(std::make_pair(protocol, std::move(media_type)), route);
  }
}

absl::StatusOr<DecoderRoute> DecoderRegistry::Find(IngestProtocol protocol,
                                                   std::string_view content_type) const {
  std::string media_type = BareMediaType(content_type);
  if (auto it = routes_.find(std::make_pair(protocol, media_type)); it != routes_.end()) {
    return it->second;
  }
  std::vector<std::string> supported;
  for (const auto& [key, route] : routes_) {
    if (key.first == protocol) supported.push_back(key.second);
  }
  std::sort(supported.begin(), supported.end());
  if (media_type.empty()) {
    return UnsupportedMediaTypeError(
        absl::StrCat("missing Content-Type; supported: ", absl::StrJoin(supported, ", ")));
  }
  return UnsupportedMediaTypeError(absl::StrCat("unsupported Content-Type \"", media_type,
                                                "\"; supported: ", absl::StrJoin(supported, ", ")));
}

void RegisterDecoders(DecoderRegistry& registry) {
  registry.Register(IngestProtocol::kOtlpTraces, {"application/x-protobuf", "application/protobuf"},
                    std::make_unique<OtlpProtoDecoder>(), WireEncoding::kProtobuf);
  registry.Register(IngestProtocol::kOtlpTraces, {"application/json"},
                    std::make_unique<OtlpJsonDecoder>(), WireEncoding::kJson);
}

}  // namespace trackly::ingest
