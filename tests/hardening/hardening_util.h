// Helpers of the hardening tests: run the cmhbench executable as a child process (stdout and
// stderr apart), query its database with the plain SQLite API, and write crafted .mat files.
#pragma once

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "io/mat_file.h"
#include "sqlite_query.h"
#include "test_util.h"

namespace cmh::test {

inline const std::string kExe = CMHBENCH_EXE;

struct CliResult {
  int exit_code = -1;  ///< -1 when the child died of a signal
  int signal = 0;
  std::string out, err;
};

/// `cmhbench ARGS` through the shell; `prefix` goes before the executable (e.g. setpriv …).
inline CliResult cmhbench(const std::string& args, const std::string& prefix = "") {
  TempDir tmp;
  const std::string err = tmp / "stderr";
  CliResult r;
  FILE* p = popen((prefix + " " + kExe + " " + args + " 2>" + err).c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, got);
  const int status = pclose(p);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.err = read_file(err);
  return r;
}

/// A child `cmhbench ARGS…` with stdout and stderr to `log` (appended); returns its pid.
inline pid_t spawn_cmhbench(const std::vector<std::string>& args, const std::string& log) { return spawn(kExe, args, log); }

/// A small learnable dataset, row-major: n items, 6 labels, 20-d text and 12-d image features
/// that both carry the labels (plus seeded noise), so CCA runs on it in well under a second.
struct SmallData {
  size_t n = 0, num_labels = 6, text_dim = 20, image_dim = 12;
  std::vector<double> labels, text;
  std::vector<float> image;
  explicit SmallData(size_t items, unsigned seed = 5) : n(items) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution on(0.3);
    std::normal_distribution<double> noise(0.0, 0.3);
    labels.assign(n * num_labels, 0);
    text.assign(n * text_dim, 0);
    image.assign(n * image_dim, 0);
    for (size_t i = 0; i < n; ++i) {
      labels[i * num_labels + i % num_labels] = 1;
      for (size_t l = 0; l < num_labels; ++l)
        if (on(rng)) labels[i * num_labels + l] = 1;
      for (size_t l = 0; l < num_labels; ++l) {
        if (labels[i * num_labels + l] == 0) continue;
        text[i * text_dim + (3 * l) % text_dim] += 1;
        image[i * image_dim + (2 * l) % image_dim] += 1;
      }
      for (size_t k = 0; k < text_dim; ++k) text[i * text_dim + k] += noise(rng);
      for (size_t k = 0; k < image_dim; ++k) image[i * image_dim + k] += static_cast<float>(noise(rng));
    }
  }
  /// LAll, YAll (double) and XAll (single), items as rows, into a new .mat file.
  void write(const std::string& path) const {
    io::MatWriter w(path);
    w.write("LAll", {n, num_labels}, col_major(labels, n, num_labels).data());
    w.write("YAll", {n, text_dim}, col_major(text, n, text_dim).data());
    w.write("XAll", {n, image_dim}, col_major(image, n, image_dim).data());
  }
};

/// A declaration of LAll/YAll/XAll in `mat` (relative to the declaration's folder).
inline std::string declaration(const std::string& mat = "data.mat", const std::string& labels = "LAll",
                               const std::string& text = "YAll", const std::string& image = "XAll",
                               int query = 20, int train = 60, const std::string& image_extra = "") {
  return "name = \"small\"\n[protocol]\nseed = 1\nquery = " + std::to_string(query) + "\ntrain = " +
         std::to_string(train) + "\n[labels]\nfile = \"" + mat + "\"\nvariable = \"" + labels + "\"\n" +
         "[text]\nfile = \"" + mat + "\"\nvariable = \"" + text + "\"\n[image]\nfile = \"" + mat +
         "\"\nvariable = \"" + image + "\"\n" + image_extra;
}

/// An experiment over the declaration file `decl` with CCA.
inline std::string experiment(const std::string& decl = "d.toml", const std::string& bits = "[8]",
                              const std::string& seeds = "[1]", const std::string& method_extra = "") {
  return "name = \"hard\"\nbits = " + bits + "\nseeds = " + seeds + "\nthreads = 1\n[[datasets]]\ndeclaration = \"" +
         decl + "\"\n[[methods]]\nname = \"cca\"\n" + method_extra;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace cmh::test
