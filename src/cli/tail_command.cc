// `trackly tail --url URL --key KEY [--filter NAME=VALUE …] [--json]`: follows a running server's
// live tail (GET /api/v1/tail, server/live_tail.h), printing each span of the key's project as it
// arrives, until Ctrl-C. The loop is cli/tail_follower.h; this file gives it the network and time.
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "base/status.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/tail_follower.h"

namespace trackly::cli {
namespace {

// How long past the long poll's own wait an answer may take before the request counts as lost.
constexpr absl::Duration kAnswerGrace = absl::Seconds(15);

struct TailArgs {
  std::string url = "http://127.0.0.1:4318";
  std::string key;
  std::vector<std::string> filters;
  bool json = false;
};

absl::Status Tail(const TailArgs& args) {
  TailFollowOptions options;
  TRACKLY_ASSIGN_OR_RETURN(options.filters, ParseTailFilters(args.filters));
  options.json = args.json;
  TRACKLY_ASSIGN_OR_RETURN(std::unique_ptr<ApiClient> client,
                           ApiClient::Create(ApiClientOptions{.url = args.url, .api_key = args.key}));
  const absl::Duration timeout = absl::Milliseconds(options.wait_ms) + kAnswerGrace;
  // A terminal's Ctrl-C ends the process (the default SIGINT action): there is nothing to
  // finish, as every line is flushed when printed.
  return FollowTail(
      options, [&](const std::string& target) { return client->Get(target, timeout); },
      [](absl::Duration pause) { absl::SleepFor(pause); }, std::cout, std::cerr);
}

}  // namespace

void AddTailCommand(CLI::App& app, int* exit_code) {
  // Owned by the callback (which lives as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<TailArgs>();
  CLI::App* tail = app.add_subcommand("tail", "Follow the spans a running server receives, as they arrive");
  tail->add_option("--url", args->url, "The server's base URL")->default_str(args->url);
  tail->add_option("--key", args->key, "API key with the read scope (its project is followed)")
      ->required()
      ->envname("TRACKLY_API_KEY");
  tail->add_option("--filter", args->filters,
                   "NAME=VALUE, repeatable: type, name, trace_name, model, status (ok|error), environment, "
                   "release, user_id, session_id (exact), min_latency_ms, min_cost");
  tail->add_flag("--json", args->json, "Print each span as a JSON line (the API's entry)");
  tail->callback([args, exit_code] {
    absl::Status status = Tail(*args);
    *exit_code = status.ok() ? 0 : ReportError(status);
  });
}

}  // namespace trackly::cli
