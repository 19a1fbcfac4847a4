#pragma once
// What /v1/models says about a model besides its id.

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::ai {

/// Facts about a model a provider knows; 0 where it does not (remote and built-in models).
struct ModelCard {
  std::size_t context_length = 0;  // tokens
  std::uint64_t parameters = 0;
};

/// A model id with its card: one entry of /v1/models.
struct NamedModel {
  std::string id;
  ModelCard card;
};

}  // namespace sluice::ai
