// Writes a random-weight GGUF for benchmarks where the model's compute must matter (stories260K
// is too small for that): tests/support/random_gguf.cpp does the writing.
//   sluice-random-gguf OUT.gguf [--arch llama|bert] [--vocab-from FILE.gguf] [--dim 768]
//                      [--layers 12] [--ff 2048] [--heads 12] [--kv-heads 12] [--context 2048]
// Defaults: a Llama of ~88 M parameters with stories260K's 512-token vocabulary.
#include "random_gguf.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sluice-random-gguf OUT.gguf [--arch llama|bert] [--vocab-from FILE] [--dim N] ...\n");
    return 2;
  }
  sluice::test::RandomModelShape shape;
  std::string vocab_from = std::string(SLUICE_MODELS_DIR) + "/stories260K/stories260K.gguf";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--arch") shape.architecture = value;
    else if (flag == "--vocab-from") vocab_from = value;
    else if (flag == "--dim") shape.dim = std::atoll(value);
    else if (flag == "--layers") shape.layers = std::atoll(value);
    else if (flag == "--ff") shape.ff = std::atoll(value);
    else if (flag == "--heads") shape.heads = std::atoll(value);
    else if (flag == "--kv-heads") shape.kv_heads = std::atoll(value);
    else if (flag == "--context") shape.context = std::atoll(value);
    else {
      std::fprintf(stderr, "sluice-random-gguf: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    auto parameters = sluice::test::write_random_gguf(argv[1], shape, vocab_from);
    std::printf("wrote %s: %s, %llu parameters\n", argv[1], shape.architecture.c_str(),
                static_cast<unsigned long long>(parameters));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice-random-gguf: %s\n", e.what());
    return 1;
  }
  return 0;
}
