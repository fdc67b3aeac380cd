// The training log kept beside a cell's checkpoint.
#include "epoch_log.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace cmh {

std::vector<store::EpochValue> read_epoch_log(const std::string& path) {
  std::vector<store::EpochValue> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string epoch, term, value;
    if (!std::getline(fields, epoch, '\t') || !std::getline(fields, term, '\t') || !std::getline(fields, value))
      throw InputError("checkpoint log '" + path + "' has a malformed line '" + line +
                       "'; delete the cell's checkpoint folder to train it from the start");
    out.push_back({std::atoi(epoch.c_str()), term, std::strtod(value.c_str(), nullptr)});
  }
  return out;
}

void write_epoch_log(const std::string& path, const std::vector<store::EpochValue>& values) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    char buf[64];
    for (const auto& v : values) {
      std::snprintf(buf, sizeof buf, "%.17g", v.value);
      out << v.epoch << '\t' << v.term << '\t' << buf << '\n';
    }
    if (!out.flush()) throw InputError("cannot write the checkpoint log '" + tmp + "'; check the disk and the folder");
  }
  std::filesystem::rename(tmp, path);
}

void record_epoch(std::vector<store::EpochValue>& log, int epoch, const std::vector<std::pair<std::string, double>>& values) {
  std::vector<store::EpochValue> kept;
  for (auto& v : log)
    if (v.epoch < epoch) kept.push_back(std::move(v));
  log = std::move(kept);
  for (const auto& [term, value] : values) log.push_back({epoch, term, value});
}

}  // namespace cmh
