// Per-observation cost of the canonical model's JSON codec, old (through a nlohmann Json tree)
// against new (model::AppendJson, model::ParseObservationJson), on a typical span: a generation
// with ~300-byte input and output, ~10 attributes and a little metadata (1775 bytes of JSON).
//
//   build/bench/codec_bench [--benchmark_filter=Encode]
//
// CPU time per observation on the 2-core development VM, Release build:
//   encode  DumpJson(ToJson(o))                       13.2 µs   AppendJson(o, &text)          1.9 µs
//   decode  ObservationFromJson(Json::parse(text))    19.9 µs   ParseObservationJson(text)    5.0 µs
#include <string>

#include <benchmark/benchmark.h>

#include "model/codec.h"

namespace trackly::bench {
namespace {

using model::Json;

model::Observation TypicalObservation() {
  model::Observation o;
  o.id = "1df175526ec4215a";
  o.trace_id = "4d9c0ecc9f3a12846ae99b70de27a657";
  o.parent_id = "bb4dcac190fdfb43";
  o.name = "chat gpt-4o-mini";
  o.type = model::ObservationType::kGeneration;
  o.status = model::Status::kOk;
  o.start_time_ns = 1795314529557001000;
  o.end_time_ns = 1795314530857002000;
  o.completion_start_time_ns = 1795314529600000000;
  o.model = "gpt-4o-mini";
  o.provider = "openai";
  o.model_parameters = Json{{"temperature", 0.2}, {"max_tokens", 512}};
  o.usage = model::Usage{.input_tokens = 412, .output_tokens = 96, .total_tokens = 508};
  o.cost = model::Cost{.input = 6.18e-05, .output = 5.76e-05, .total = 0.0001194,
                       .source = model::CostSource::kComputed};
  o.input = Json::array({
      Json{{"role", "system"}, {"content", "You are a research assistant. Answer briefly, cite sources."}},
      Json{{"role", "user"},
           {"content", "Summarize the trade-offs between columnar and row stores for tracing data, "
                       "in particular for wide spans with many attributes and large inputs."}},
  });
  o.output = Json{{"role", "assistant"},
                  {"content", "Row stores make whole-span reads cheap; columnar stores compress "
                              "attributes well and scan single columns fast. For traces, keep the "
                              "payload as a row and index the few filtered columns separately."}};
  o.metadata = Json{{"user_tier", "pro"}, {"channel", "web"}};
  o.attributes = Json{{"gen_ai.system", "openai"},
                      {"gen_ai.request.model", "gpt-4o-mini"},
                      {"gen_ai.response.model", "gpt-4o-mini-2024-07-18"},
                      {"gen_ai.response.id", "chatcmpl-9xYzAbCdEf"},
                      {"gen_ai.request.temperature", 0.2},
                      {"gen_ai.request.max_tokens", 512},
                      {"gen_ai.usage.input_tokens", 412},
                      {"gen_ai.usage.output_tokens", 96},
                      {"gen_ai.response.finish_reasons", Json::array({"stop"})},
                      {"server.address", "api.openai.com"}};
  o.environment = "production";
  o.release = "1.4.2";
  o.service_name = "research-assistant";
  return o;
}

void BM_EncodeOld_ToJsonDump(benchmark::State& state) {
  model::Observation o = TypicalObservation();
  for (auto _ : state) {
    std::string text = model::DumpJson(model::ToJson(o));
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_EncodeOld_ToJsonDump);

void BM_EncodeNew_AppendJson(benchmark::State& state) {
  model::Observation o = TypicalObservation();
  for (auto _ : state) {
    std::string text;
    model::AppendJson(o, &text);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_EncodeNew_AppendJson);

void BM_DecodeOld_ParseFromJson(benchmark::State& state) {
  std::string text = model::DumpJson(model::ToJson(TypicalObservation()));
  state.SetLabel(std::to_string(text.size()) + " bytes");
  for (auto _ : state) {
    absl::StatusOr<model::Observation> o = model::ObservationFromJson(Json::parse(text));
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_DecodeOld_ParseFromJson);

void BM_DecodeNew_ParseObservationJson(benchmark::State& state) {
  std::string text = model::DumpJson(model::ToJson(TypicalObservation()));
  for (auto _ : state) {
    absl::StatusOr<model::Observation> o = model::ParseObservationJson(text);
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_DecodeNew_ParseObservationJson);

}  // namespace
}  // namespace trackly::bench

BENCHMARK_MAIN();
