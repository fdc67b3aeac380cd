// Where and with what a run ran: code revision, host, library versions. Torch-free header.
#pragma once

#include <string>

namespace cmh {

std::string code_revision();          ///< `git describe --always --dirty` at configure time
std::string host_name();
std::string library_versions_json();  ///< {"libtorch": …, "matio": …, "sqlite": …, …}
std::string utc_now();                ///< ISO-8601, seconds

}  // namespace cmh
