#pragma once
// OpenAI's sampling parameters as a llama.cpp sampler chain.

#include "llama_model.hpp"

#include "sluice/ai/generator.hpp"

namespace sluice::ai::local {

/// The chain for one sequence: grammar (response_format) → penalties → greedy when temperature
/// is 0, else top_k → top_p → min_p → temperature → a draw seeded by `seed` (random without).
/// Errors: 400 invalid_grammar / unsupported_response_format.
core::Result<SamplerPtr> make_sampler(const llama_vocab* vocab, const SamplingParams& params);

/// GBNF for any JSON object (OpenAI's json_object): a JSON value whose root is an object.
extern const char* const json_object_grammar;

}  // namespace sluice::ai::local
