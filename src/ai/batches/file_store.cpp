#include "file_store.hpp"

#include <fmt/format.h>

#include <random>

namespace sluice::ai::batches {

boost::json::object StoredFile::to_json() const {
  return {{"id", id},
          {"object", "file"},
          {"bytes", bytes},
          {"created_at", created_at},
          {"filename", filename},
          {"purpose", purpose},
          {"status", "processed"},
          {"status_details", nullptr},
          {"expires_at", nullptr}};
}

std::string FileStore::new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("file-{:016x}{:08x}", random(), static_cast<std::uint32_t>(random()));
}

}  // namespace sluice::ai::batches
