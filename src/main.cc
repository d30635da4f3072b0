// The trackly binary: every subcommand lives in cli/. This is the only place that exits.
#include <cstdlib>

#include "cli/cli.h"

int main(int argc, char** argv) { return trackly::cli::Run(argc, argv); }
