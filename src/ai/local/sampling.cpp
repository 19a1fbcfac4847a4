#include "sampling.hpp"

#include <random>

namespace sluice::ai::local {

// JSON (RFC 8259) with an object at the root. Whitespace is bounded (at most one space or
// newline between tokens, indentation kept short) so that a small model cannot wander off into
// endless blanks, which would burn its max_tokens without ever closing the object.
const char* const json_object_grammar = R"gbnf(
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? ws "}"
array  ::= "[" ws ( value ("," ws value)* )? ws "]"
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\""
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?
ws     ::= | " " | "\n" [ \t]{0,20}
)gbnf";

core::Result<SamplerPtr> make_sampler(const llama_vocab* vocab, const SamplingParams& params) {
  auto chain_params = llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(chain_params));
  using Type = ResponseFormat::Type;
  if (params.response_format.type == Type::json_schema)
    return core::Error{400, "unsupported_response_format",
                       "response_format json_schema is not supported by local models yet; use json_object", nullptr};
  if (params.response_format.type == Type::json_object) {
    auto* grammar = llama_sampler_init_grammar(vocab, json_object_grammar, "root");
    if (!grammar) return core::Error{500, "invalid_grammar", "the JSON grammar did not parse", nullptr};
    llama_sampler_chain_add(chain.get(), grammar);
  }
  if (params.presence_penalty != 0 || params.frequency_penalty != 0)
    llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), 64, 1.0f, static_cast<float>(params.frequency_penalty),
                                                                      static_cast<float>(params.presence_penalty)));
  if (params.temperature <= 0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  if (params.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(params.top_k));
  if (params.top_p < 1) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(static_cast<float>(params.top_p), 1));
  if (params.min_p > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(static_cast<float>(params.min_p), 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(static_cast<float>(params.temperature)));
  const auto seed = params.seed ? static_cast<std::uint32_t>(*params.seed) : std::random_device{}();
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
  return chain;
}

}  // namespace sluice::ai::local
