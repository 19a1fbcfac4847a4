#include "model_admission.hpp"

namespace sluice::server {

boost::asio::awaitable<core::Result<ai::Generation>> AdmittedGenerator::generate(ai::GenerationRequest request,
                                                                                 ai::PieceSink on_piece) {
  auto permit = co_await gate_->acquire();
  if (!permit) co_return permit.error();
  co_return co_await inner_->generate(std::move(request), std::move(on_piece));
}

}  // namespace sluice::server
