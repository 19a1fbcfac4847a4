#include "llama_model.hpp"
#include "sampling.hpp"
#include "scheduler.hpp"

#include "sluice/ai/local_model.hpp"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::ai {

namespace asio = boost::asio;
using local::Sequence;

struct LocalGenerator::Impl {
  std::shared_ptr<local::LoadedModel> model;
  std::unique_ptr<local::Scheduler> scheduler;
  core::ComputePool* compute = nullptr;
  std::string chat_template;  // the model's own (GGUF tokenizer.chat_template), or empty
};

namespace {

/// Marks the sequence cancelled however the request's coroutine ends (done, client gone,
/// deadline, cancellation): a sequence still queued or running is then freed at the next step.
struct CancelOnExit {
  std::shared_ptr<Sequence> sequence;
  ~CancelOnExit() { sequence->is_cancelled = true; }
};

std::string format_chat(const char* tmpl, const std::vector<llama_chat_message>& chat, bool& ok) {
  std::string out(1024, '\0');
  int n = llama_chat_apply_template(tmpl, chat.data(), chat.size(), true, out.data(), static_cast<int32_t>(out.size()));
  if (n > static_cast<int>(out.size())) {
    out.resize(static_cast<std::size_t>(n));
    n = llama_chat_apply_template(tmpl, chat.data(), chat.size(), true, out.data(), static_cast<int32_t>(out.size()));
  }
  ok = n >= 0;
  out.resize(static_cast<std::size_t>(std::max(0, n)));
  return out;
}

}  // namespace

core::Result<std::shared_ptr<LocalGenerator>> LocalGenerator::load(LocalGeneratorOptions options,
                                                                   core::ComputePool& compute) {
  auto model = local::load_model(options.name, options.path);
  if (!model) return model.error();
  auto& loaded = *model;
  if (!llama_model_has_decoder(loaded->model.get()))
    return core::Error{400, "model_load_failed",
                       fmt::format("cannot serve '{}' for generation: the model has no decoder (an encoder-only "
                                   "model is an --embedding-model)",
                                   options.path),
                       nullptr};
  local::SchedulerOptions scheduling{
      .parallel = std::max<std::size_t>(1, options.parallel),
      .context_per_sequence = options.context != 0 ? options.context : loaded->info.context_length,
      .batch_tokens = std::max<std::size_t>(options.batch_tokens, options.parallel),
      .max_queue = options.max_queue,
      .gather = options.gather,
      .threads = options.threads > 0 ? options.threads : static_cast<int>(core::available_cpus()),
      .observer = options.observer};
  if (scheduling.context_per_sequence == 0) scheduling.context_per_sequence = 2048;
  auto scheduler = local::Scheduler::start(loaded, scheduling);
  if (!scheduler) return scheduler.error();
  auto impl = std::make_unique<Impl>();
  impl->model = loaded;
  impl->scheduler = std::move(*scheduler);
  impl->compute = &compute;
  if (const char* tmpl = llama_model_chat_template(loaded->model.get(), nullptr)) impl->chat_template = tmpl;
  return std::shared_ptr<LocalGenerator>(new LocalGenerator(std::move(impl)));
}

LocalGenerator::LocalGenerator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalGenerator::~LocalGenerator() = default;

std::string LocalGenerator::model() const { return impl_->model->info.name; }
ModelCard LocalGenerator::card() const {
  return {impl_->scheduler->context_per_sequence(), impl_->model->info.parameters};
}
const LocalModelInfo& LocalGenerator::info() const { return impl_->model->info; }

LocalGenerator::Stats LocalGenerator::stats() const {
  return {impl_->scheduler->busy_sequences(), impl_->scheduler->queued()};
}

std::size_t LocalGenerator::count_tokens(const std::string& text) const {
  return local::tokenize(impl_->model->vocab, text, true).size();
}

std::string LocalGenerator::apply_chat_template(const std::vector<ChatMessage>& messages) const {
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  for (const auto& m : messages) chat.push_back({m.role.c_str(), m.content.c_str()});
  bool ok = false;
  if (!impl_->chat_template.empty()) {
    auto out = format_chat(impl_->chat_template.c_str(), chat, ok);
    if (ok) return out;
  }
  // No template in the file, or one llama.cpp does not recognise: ChatML, as llama.cpp's server does.
  return format_chat("chatml", chat, ok);
}

asio::awaitable<core::Result<Generation>> LocalGenerator::generate(GenerationRequest request, PieceSink on_piece) {
  if (!request.context.empty()) {
    if (request.messages.empty())
      request.prompt = request.context + "\n\n" + request.prompt;
    else
      request.messages.insert(request.messages.begin(), ChatMessage{"system", request.context});
  }
  std::string prompt = request.messages.empty() ? std::move(request.prompt) : apply_chat_template(request.messages);
  // Tokenising is CPU work: the compute pool, never the IO thread. The callable holds only
  // pointers: when ComputePool::run handed it to co_spawn as a temporary inside a co_await, GCC 12
  // destroyed a captured std::string twice.
  const auto* vocab = impl_->model->vocab;
  const std::string* text = &prompt;
  auto tokenize = [vocab, text] { return local::tokenize(vocab, *text, true); };
  auto tokens = co_await impl_->compute->run(std::move(tokenize));
  const auto limit = impl_->scheduler->context_per_sequence();
  if (tokens.empty()) co_return core::Error{400, "empty_prompt", "the prompt is empty", nullptr};
  if (tokens.size() >= limit)
    co_return core::Error{400, "prompt_too_long",
                          fmt::format("the prompt has {} tokens; the model '{}' takes at most {} per sequence",
                                      tokens.size(), model(), limit - 1),
                          nullptr};
  auto sampler = local::make_sampler(impl_->model->vocab, request.params);
  if (!sampler) co_return sampler.error();
  const std::size_t prompt_tokens = tokens.size();
  auto executor = co_await asio::this_coro::executor;
  auto sequence = std::make_shared<Sequence>(executor, std::move(tokens), std::move(*sampler), request.params);
  CancelOnExit guard{sequence};
  if (!impl_->scheduler->submit(sequence))
    co_return core::Error{503, "queue_full",
                          fmt::format("the model '{}' has too many requests waiting; retry later", model()), nullptr};

  Generation out;
  out.usage.prompt_tokens = prompt_tokens;
  while (true) {
    auto [failed] = co_await sequence->wake.async_receive(asio::as_tuple(asio::use_awaitable));
    if (failed) co_return core::Error{499, "cancelled", "the request was cancelled", nullptr};
    std::string text;
    bool is_done = false;
    {
      std::lock_guard lock(sequence->mutex);
      text.swap(sequence->ready);
      is_done = sequence->is_done;
      out.usage.completion_tokens = sequence->completion_tokens;
    }
    if (!text.empty()) {
      out.text += text;
      if (on_piece) {
        auto delivered = on_piece(std::move(text));  // not a temporary inside co_await (GCC 12)
        if (!co_await std::move(delivered)) co_return core::Error{499, "cancelled", "the client went away", nullptr};
      }
    }
    if (!is_done) continue;
    std::lock_guard lock(sequence->mutex);
    if (sequence->error) co_return *sequence->error;
    out.finish_reason = sequence->finish_reason;
    co_return out;
  }
}

}  // namespace sluice::ai
