// The command line: `trackly serve|projects|keys|traces|trace|demo ...`. One file per subcommand.
#pragma once

namespace trackly::cli {

// Parses argv and runs the subcommand. Returns the process exit code: 0 on success, non-zero with
// one clear message on stderr on error. Never calls exit() itself.
int Run(int argc, char** argv);

}  // namespace trackly::cli
