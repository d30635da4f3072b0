// `trackly models list|add|remove`: the built-in model prices and a project's own prices
// (docs/cost.md "Project prices"), on the data directory's catalog. A running server picks up a
// change within about a second (server/catalog_price_source.h).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/clock.h"
#include "base/status.h"
#include "cli/command.h"
#include "server/audit_log.h"
#include "normalize/cost/price_catalog.h"
#include "re2/re2.h"
#include "store/model_prices.h"

namespace trackly::cli {
namespace {

struct ModelsArgs {
  std::string data_dir;
  std::string project;
  std::string file;
  std::string id;
  bool json = false;
  // `add` without --file: the entry from flags.
  std::string provider = "custom";
  std::string name;
  std::string match;
  std::string valid_from = "1970-01-01";
  std::optional<double> input;
  std::optional<double> output;
  std::optional<double> cache_read;
  std::optional<double> cache_write;
};

struct Listed {
  std::string project;  // empty for a built-in price
  cost::PriceEntry entry;
};

model::Json ListedJson(const Listed& listed) {
  model::Json json = cost::ToJson(listed.entry);
  json["scope"] = listed.project.empty() ? "builtin" : "project";
  if (!listed.project.empty()) json["project"] = listed.project;
  return json;
}

std::string FormatPrice(std::optional<double> price) {
  return price.has_value() ? absl::StrFormat("%g", *price) : "-";
}

absl::Status ListModels(const ModelsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  if (!args.project.empty()) TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  std::vector<Listed> listed;
  TRACKLY_ASSIGN_OR_RETURN(std::vector<store::ModelPriceRecord> records, catalog->ListModelPrices(args.project));
  for (const store::ModelPriceRecord& record : records) {
    TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, store::ParseModelPrice(record.entry_json));
    listed.push_back({record.project, std::move(entry)});
  }
  TRACKLY_ASSIGN_OR_RETURN(std::shared_ptr<const cost::PriceCatalog> builtin, cost::PriceCatalog::Builtin());
  for (const cost::PriceEntry& entry : builtin->builtin_entries()) listed.push_back({"", entry});

  if (args.json) {
    model::Json data = model::Json::array();
    for (const Listed& l : listed) data.push_back(ListedJson(l));
    PrintJson({{"data", std::move(data)}});
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "SCOPE", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "MATCH"}};
  for (const Listed& l : listed) {
    const cost::Prices& p = l.entry.prices;
    rows.push_back({l.entry.id, l.project.empty() ? "builtin" : l.project, FormatPrice(p.input),
                    FormatPrice(p.output), FormatPrice(p.cache_read), FormatPrice(p.cache_write), l.entry.match});
  }
  PrintTable(rows);
  std::cout << "(USD per 1M tokens; project prices are used before built-in ones)" << std::endl;
  return absl::OkStatus();
}

// The entry JSON of `add`: the file's content, or one built from the flags.
absl::StatusOr<std::string> EntryJsonOf(const ModelsArgs& args) {
  if (!args.file.empty()) {
    if (!args.name.empty() || args.input || args.output) {
      return absl::InvalidArgumentError("--file: give the entry either as a file or with flags, not both");
    }
    std::ifstream in(args.file);
    if (!in) return absl::NotFoundError(absl::StrCat("--file: cannot read '", args.file, "'"));
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }
  if (args.name.empty()) return absl::InvalidArgumentError("--name: required (or give the entry with --file)");
  if (!args.input || !args.output) return absl::InvalidArgumentError("--input and --output: required");
  model::Json prices{{"input", *args.input}, {"output", *args.output}};
  if (args.cache_read) prices["cache_read"] = *args.cache_read;
  if (args.cache_write) prices["cache_write"] = *args.cache_write;
  return model::Json{{"provider", args.provider},
                     {"model", args.name},
                     // Without --match the name is matched literally (case-insensitive).
                     {"match", args.match.empty() ? RE2::QuoteMeta(args.name) : args.match},
                     {"valid_from", args.valid_from},
                     {"prices", std::move(prices)}}
      .dump();
}

absl::Status AddModel(const ModelsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(std::string entry_json, EntryJsonOf(args));
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  TRACKLY_ASSIGN_OR_RETURN(store::ModelPriceRecord record,
                           catalog->PutModelPrice(args.project, entry_json, SystemClock::Get().NowNanos()));
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kModelPricePut, record.id));
  TRACKLY_ASSIGN_OR_RETURN(cost::PriceEntry entry, store::ParseModelPrice(record.entry_json));
  if (args.json) {
    PrintJson(ListedJson({args.project, std::move(entry)}));
  } else {
    std::cout << "Added price " << record.id << " to project '" << args.project << "'\n"
              << "Stored costs keep their old price until `trackly cost recompute --project " << args.project
              << "`." << std::endl;
  }
  return absl::OkStatus();
}

absl::Status RemoveModel(const ModelsArgs& args) {
  TRACKLY_ASSIGN_OR_RETURN(auto catalog, OpenCatalog(args.data_dir));
  TRACKLY_RETURN_IF_ERROR(CheckProject(*catalog, args.project));
  absl::Status removed = catalog->RemoveModelPrice(args.project, args.id);
  if (absl::IsNotFound(removed)) {
    return absl::NotFoundError(absl::StrCat("project '", args.project, "' has no price '", args.id,
                                            "' (see `trackly models list --project ", args.project, "`)"));
  }
  TRACKLY_RETURN_IF_ERROR(removed);
  TRACKLY_RETURN_IF_ERROR(RecordCliAudit(*catalog, args.project, server::audit_action::kModelPriceRemove, args.id));
  if (args.json) {
    PrintJson({{"id", args.id}, {"project", args.project}, {"deleted", true}});
  } else {
    std::cout << "Removed price " << args.id << " from project '" << args.project << "'" << std::endl;
  }
  return absl::OkStatus();
}

}  // namespace

void AddModelsCommand(CLI::App& app, int* exit_code) {
  // Owned by the callbacks (which live as long as `app`), as CLI11 binds options to addresses.
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* models = app.add_subcommand("models", "List model prices; add and remove a project's own prices");
  models->require_subcommand(1);
  auto run = [args, exit_code](absl::Status (*command)(const ModelsArgs&)) {
    return [args, exit_code, command] {
      absl::Status status = command(*args);
      *exit_code = status.ok() ? 0 : ReportError(status);
    };
  };

  CLI::App* list = models->add_subcommand("list", "List the built-in prices and projects' own prices");
  list->add_option("--project", args->project, "Only this project's own prices (and the built-in ones)");
  AddDataOption(*list, &args->data_dir);
  list->add_flag("--json", args->json, "Print JSON");
  list->callback(run(&ListModels));

  CLI::App* add = models->add_subcommand("add", "Add (or correct) a project's price for a model");
  add->add_option("--project", args->project, "Project the price belongs to")->required();
  add->add_option("--file", args->file, "One entry in the catalog format (docs/cost.md)");
  add->add_option("--name", args->name, "Model name (canonical)");
  add->add_option("--provider", args->provider, "Model vendor")->default_str("custom");
  add->add_option("--match", args->match, "RE2 pattern over the model name (default: the name, literally)");
  add->add_option("--input", args->input, "USD per 1M input tokens");
  add->add_option("--output", args->output, "USD per 1M output tokens");
  add->add_option("--cache-read", args->cache_read, "USD per 1M cached input tokens read");
  add->add_option("--cache-write", args->cache_write, "USD per 1M input tokens written to the cache");
  add->add_option("--valid-from", args->valid_from, "YYYY-MM-DD or RFC 3339")->default_str("1970-01-01");
  AddDataOption(*add, &args->data_dir);
  add->add_flag("--json", args->json, "Print JSON");
  add->callback(run(&AddModel));

  CLI::App* remove = models->add_subcommand("remove", "Remove a project's price");
  remove->add_option("--project", args->project, "Project the price belongs to")->required();
  remove->add_option("id", args->id, "Price id (see `trackly models list`)")->required();
  AddDataOption(*remove, &args->data_dir);
  remove->add_flag("--json", args->json, "Print JSON");
  remove->callback(run(&RemoveModel));
}

}  // namespace trackly::cli
