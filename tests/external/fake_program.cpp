// A stand-in external method for the tests: it reads the request like any program would and then
// behaves as its first argument says — writes good codes, or fails in one of the ways a real
// program fails (exit status, crash, no codes, truncated or wrong-shaped codes, NaN, non-codes,
// hangs with a grandchild, waits for SIGINT) — so that every failure path is tested without
// Python. Codes follow the labels' first bits (plus noise), so a good run clearly beats chance.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_value.h"
#include "io/mat_file.h"

extern char** environ;

namespace {

std::vector<int64_t> indices(const cmh::JsonValue& items, const char* name) {
  std::vector<int64_t> out;
  for (const auto& v : items[name].items()) out.push_back(static_cast<int64_t>(v.num()));
  return out;
}

// items × bits, column-major for MatWriter: bit b of item i is label b (mod L) with 10% noise.
std::vector<double> codes_for(const std::vector<int64_t>& items, int bits, const std::vector<uint8_t>& labels,
                              size_t num_labels, std::mt19937& rng) {
  std::vector<double> c(items.size() * static_cast<size_t>(bits));
  for (size_t i = 0; i < items.size(); ++i)
    for (int b = 0; b < bits; ++b) {
      const bool on = labels[static_cast<size_t>(items[i]) * num_labels + static_cast<size_t>(b) % num_labels] != 0;
      const bool flip = rng() % 10 == 0;
      c[static_cast<size_t>(b) * items.size() + i] = (on != flip) ? 1.0 : -1.0;
    }
  return c;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "ok";
  const char* request_path = std::getenv("CMHBENCH_REQUEST");
  if (!request_path) {
    std::fprintf(stderr, "fake_program: CMHBENCH_REQUEST is not set\n");
    return 2;
  }
  std::ifstream in(request_path);
  std::stringstream text;
  text << in.rdbuf();
  const cmh::JsonValue req = cmh::JsonValue::parse(text.str());
  const int bits = static_cast<int>(req["bits"].num());
  const std::string codes_file = req["codes_file"].str();
  const cmh::JsonValue& items = req["items"];
  const auto query = indices(items, "query"), database = indices(items, "database");
  if (mode == "hang") {  // a grandchild that would outlive a careless kill; its pid for the test, first
    const pid_t g = fork();
    if (g == 0) {
      for (;;) pause();
    }
    write_lines(argv[2], {std::to_string(g)});
    for (;;) pause();
  }
  const int progress_fd = static_cast<int>(req["progress_fd"].num());
  FILE* progress = fdopen(progress_fd, "w");
  std::fprintf(progress, "{\"version\": \"fake_program 1 (%s)\"}\n", mode.c_str());
  std::fprintf(progress, "this line is not JSON\n");
  for (int e = 1; e <= 2; ++e) std::fprintf(progress, "{\"epoch\": %d, \"epochs\": 2, \"loss\": %g}\n", e, 1.0 / e);
  std::fflush(progress);

  if (mode == "exit3") {
    std::fprintf(stderr, "fake_program: the optimiser diverged at step 7\n");
    return 3;
  }
  if (mode == "crash") raise(SIGSEGV);
  if (mode == "wait-sigint") {
    static std::string marker;
    marker = argv[2];
    signal(SIGINT, [](int) {
      write_lines(marker, {"SIGINT"});
      _exit(1);
    });
    write_lines(marker + ".started", {"started"});
    for (;;) pause();
  }
  if (mode == "record") {  // its argv and environment, for the shell-injection and clean-environment tests
    std::vector<std::string> args(argv, argv + argc), env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    write_lines("args.txt", args);
    write_lines("env.txt", env);
  }
  if (mode == "request") write_lines("request.json", {text.str()});  // what it was handed, for the test
  if (mode == "nocodes") return 0;

  // Labels from the hand-over file (L × n uint8: the in-memory layout, reversed).
  const cmh::JsonValue& lab = req["data"]["labels"];
  const cmh::io::MatArray<uint8_t> labels = cmh::io::MatReader(lab["file"].str()).read_uint8(lab["variable"].str());
  const size_t num_labels = labels.rows();
  std::mt19937 rng(static_cast<unsigned>(req["seed"].num()));
  auto qi = codes_for(query, bits, labels.data, num_labels, rng), qt = codes_for(query, bits, labels.data, num_labels, rng);
  auto ri = codes_for(database, bits, labels.data, num_labels, rng), rt = codes_for(database, bits, labels.data, num_labels, rng);
  size_t q_rows = query.size();
  if (mode == "nan") qi[3] = std::nan("");
  if (mode == "half") rt[5] = 0.5;
  if (mode == "shape") --q_rows;  // one query item short
  {
    cmh::io::MatWriter w(codes_file);
    w.write("q_img", {q_rows, static_cast<size_t>(bits)}, qi.data());
    w.write("q_txt", {query.size(), static_cast<size_t>(bits)}, qt.data());
    w.write("r_img", {database.size(), static_cast<size_t>(bits)}, ri.data());
    w.write("r_txt", {database.size(), static_cast<size_t>(bits)}, rt.data());
  }
  if (mode == "truncated") std::filesystem::resize_file(codes_file, std::filesystem::file_size(codes_file) / 2);
  return 0;
}
