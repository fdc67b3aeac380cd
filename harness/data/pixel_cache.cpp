// The on-disk NCHW pixel cache: a 4 KiB text header, then every item's c × h × w bytes in order.
#include "data/pixel_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "common/error.h"
#include "data/dataset.h"
#include "data/declaration.h"
#include "data/pixel_reader.h"

namespace cmh::data {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeaderBytes = 4096;
constexpr const char* kMagic = "cmhbench pixel cache 1";

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "+") + x;
  return s;
}

// Everything the header pins except the mean: two caches agree when these lines do.
std::string identity(const ModalityDeclaration& image, const std::string& sha256, size_t n, size_t c, size_t h,
                     size_t w) {
  std::ostringstream os;
  os << kMagic << "\nsource_sha256 " << sha256 << "\nvariables " << joined(image.variables) << "\npixel_layout "
     << image.pixel_layout << "\nshape " << n << " " << c << " " << h << " " << w << "\n";
  return os.str();
}

bool writable_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) return false;
  return ::access(dir.c_str(), W_OK) == 0;
}

// Reads the whole of [offset, offset + bytes) or throws: pread may return less than asked.
void read_fully(int fd, uint8_t* out, size_t bytes, off_t offset, const std::string& path) {
  while (bytes > 0) {
    const ssize_t got = ::pread(fd, out, bytes, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw InputError("pixel cache '" + path + "' ends early or cannot be read (" +
                       (got < 0 ? std::string(std::strerror(errno)) : std::string("end of file")) +
                       "); delete it and run again to remake it");
    out += got, bytes -= static_cast<size_t>(got), offset += got;
  }
}

}  // namespace

std::string default_pixel_cache_dir(const std::string& image_file) {
  const fs::path beside = fs::absolute(fs::path(image_file)).parent_path() / "cmhbench-cache";
  if (writable_dir(beside)) return beside.string();
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg && *xdg) return (fs::path(xdg) / "cmhbench").string();
  if (home && *home) return (fs::path(home) / ".cache" / "cmhbench").string();
  return beside.string();  // open_or_make names the folder it cannot write
}

std::shared_ptr<const PixelCache> PixelCache::open_or_make(const ModalityDeclaration& image,
                                                           const std::string& source_sha256, const std::string& dir,
                                                           size_t slab_bytes, std::ostream* log) {
  const PixelReader reader(image);
  const size_t n = reader.size(), c = reader.channels(), h = reader.height(), w = reader.width();
  const std::string want = identity(image, source_sha256, n, c, h, w);
  const std::string path =
      (fs::path(dir) / (fs::path(image.file).stem().string() + "." + joined(image.variables) + "." +
                        source_sha256.substr(0, 16) + ".nchw"))
          .string();
  const uint64_t total = uint64_t(kHeaderBytes) + uint64_t(n) * c * h * w;

  std::shared_ptr<PixelCache> cache(new PixelCache());
  cache->path_ = path, cache->n_ = n, cache->c_ = c, cache->h_ = h, cache->w_ = w;
  auto try_open = [&]() {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string header(kHeaderBytes, '\0');
    std::error_code ec;
    const bool size_ok = fs::file_size(path, ec) == total && !ec;
    const bool read_ok = size_ok && ::pread(fd, header.data(), kHeaderBytes, 0) == static_cast<ssize_t>(kHeaderBytes);
    const size_t mean_at = want.size();
    if (!read_ok || header.compare(0, want.size(), want) != 0 || header.compare(mean_at, 5, "mean ") != 0) {
      ::close(fd);
      if (log) *log << "data: pixel cache '" << path << "' does not match " << image.file << " (another version or cut short); making it again\n";
      return false;
    }
    cache->mean_ = std::strtod(header.c_str() + mean_at + 5, nullptr);
    cache->fd_ = fd;
    return true;
  };
  if (try_open()) return cache;

  if (!writable_dir(dir))
    throw InputError("pixel cache: cannot create or write the folder '" + dir + "' for the NCHW copy of " +
                     image.file + "; set [image] cache_dir to a writable folder, or pixel_store = \"memory\"");
  std::error_code ec;
  const fs::space_info room = fs::space(dir, ec);
  if (!ec && room.available < total + (uint64_t(64) << 20))
    throw InputError("pixel cache: '" + dir + "' has " + std::to_string(room.available >> 20) + " MiB free and the NCHW copy of " +
                     image.file + " needs " + std::to_string(total >> 20) +
                     " MiB; free space there, set [image] cache_dir to a larger disk, or pixel_store = \"memory\"");

  // One maker at a time (Slurm tasks on one node start together): the others wait on the lock,
  // then find the cache made. The lock file stays; removing it would race with a waiter.
  const int lock = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0)
    while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);  // releases the lock
    }
  } unlock{lock};
  if (lock >= 0 && try_open()) return cache;  // made by another process while this one waited

  const auto started = std::chrono::steady_clock::now();
  const std::string tmp = path + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(lock);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw InputError("pixel cache: cannot create '" + tmp + "' (" + std::strerror(errno) + "); set [image] cache_dir to a writable folder");
  auto fail = [&](const std::string& why) {
    std::fclose(f);
    fs::remove(tmp, ec);
    throw InputError("pixel cache: writing '" + tmp + "' failed (" + why + "); free space or set [image] cache_dir elsewhere");
  };
  std::vector<char> blank(kHeaderBytes, '\0');
  if (std::fwrite(blank.data(), 1, blank.size(), f) != blank.size()) fail(std::strerror(errno));
  const size_t per_item = c * h * w;
  const size_t wanted = std::max<size_t>(1, slab_bytes / per_item);
  uint64_t sum = 0;
  if (log) *log << "data: making the pixel cache '" << path << "' (" << (total >> 20) << " MiB, once) from " << image.file << "\n";
  for (size_t first = 0; first < n;) {
    const size_t count = reader.aligned_count(first, wanted);
    const std::vector<uint8_t> slab = reader.read(first, count);
    for (uint8_t v : slab) sum += v;
    if (std::fwrite(slab.data(), 1, slab.size(), f) != slab.size()) fail(std::strerror(errno));
    first += count;
  }
  const double mean = n ? double(sum) / (255.0 * double(n) * double(per_item)) : 0.0;
  std::ostringstream header;
  header << want << "mean " << std::setprecision(17) << mean << "\n";
  const std::string text = header.str();
  if (text.size() >= kHeaderBytes) fail("header of " + std::to_string(text.size()) + " bytes: too many variables named");
  if (std::fseek(f, 0, SEEK_SET) != 0 || std::fwrite(text.data(), 1, text.size(), f) != text.size()) fail(std::strerror(errno));
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) fail(std::strerror(errno));
  if (std::fclose(f) != 0) {
    fs::remove(tmp, ec);
    throw InputError("pixel cache: closing '" + tmp + "' failed; free space or set [image] cache_dir elsewhere");
  }
  fs::rename(tmp, path, ec);  // atomic: another process sees no cache or a whole one
  if (ec) {
    fs::remove(tmp, ec);
    throw InputError("pixel cache: cannot rename '" + tmp + "' to '" + path + "'");
  }
  if (!try_open()) throw std::logic_error("pixel cache '" + path + "' made but does not verify");
  cache->made_now_ = true;
  if (log)
    *log << "data: pixel cache made in " << std::fixed << std::setprecision(1)
         << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
  return cache;
}

PixelCache::~PixelCache() {
  if (fd_ >= 0) ::close(fd_);
}

void PixelCache::read(const int64_t* items, size_t count, uint8_t* out) const {
  const size_t per_item = item_bytes();
  for (size_t k = 0; k < count;) {
    if (items[k] < 0 || static_cast<size_t>(items[k]) >= n_)
      throw std::logic_error("PixelCache::read: item " + std::to_string(items[k]) + " outside the set");
    size_t run = 1;
    while (k + run < count && items[k + run] == items[k] + static_cast<int64_t>(run)) ++run;
    read_fully(fd_, out + k * per_item, run * per_item,
               static_cast<off_t>(kHeaderBytes + static_cast<uint64_t>(items[k]) * per_item), path_);
    k += run;
  }
}

size_t pixel_bytes(const Modality& m) {
  return m.pixel_cache ? m.n * m.pixel_cache->item_bytes() : m.pixels.size();
}

void read_pixel_items(const Modality& m, const int64_t* items, size_t count, uint8_t* out) {
  if (m.pixel_cache) return m.pixel_cache->read(items, count, out);
  const size_t per_item = m.channels * m.height * m.width;
  for (size_t k = 0; k < count; ++k)
    std::memcpy(out + k * per_item, m.pixels.data() + static_cast<size_t>(items[k]) * per_item, per_item);
}

}  // namespace cmh::data
