#include "sluice/di/container.hpp"

#include <spdlog/spdlog.h>

#include <boost/core/demangle.hpp>

namespace sluice::di {

namespace {
std::string type_name(std::type_index type) { return boost::core::demangle(type.name()); }
}  // namespace

void Container::put(std::type_index type, Entry entry) {
  if (!entries_.contains(type)) order_.push_back(type);
  entries_.insert_or_assign(type, std::move(entry));
}

const Container::Entry& Container::entry(std::type_index type) const {
  auto it = entries_.find(type);
  if (it == entries_.end()) throw MissingDependency("no dependency registered for " + type_name(type));
  return it->second;
}

std::shared_ptr<void> Container::resolve_singleton(std::type_index type) {
  const Entry& found = entry(type);
  if (found.lifetime != Lifetime::singleton)
    throw MissingDependency(type_name(type) + " is per-request; resolve it from a request scope");
  // After start() every singleton exists and the map is read-only: no lock on the hot path.
  if (started_ || found.instance) return found.instance;
  std::lock_guard lock(build_mutex_);
  Entry& e = entries_.at(type);
  if (!e.instance) e.instance = e.build_singleton(*this);
  return e.instance;
}

void Container::on_startup(std::function<void()> hook) { startup_hooks_.push_back(std::move(hook)); }
void Container::on_shutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

void Container::start() {
  for (auto type : order_)
    if (entries_.at(type).lifetime == Lifetime::singleton) resolve_singleton(type);
  started_ = true;
  for (auto& hook : startup_hooks_) hook();
}

void Container::stop() {
  for (auto it = shutdown_hooks_.rbegin(); it != shutdown_hooks_.rend(); ++it) {
    try {
      (*it)();
    } catch (const std::exception& e) {
      spdlog::error("shutdown hook failed: {}", e.what());
    }
  }
}

std::shared_ptr<void> Scope::resolve(std::type_index type) {
  const auto& found = container_.entry(type);
  if (found.lifetime == Container::Lifetime::singleton) return container_.resolve_singleton(type);
  for (auto& [t, instance] : instances_)
    if (t == type) return instance;
  auto instance = found.build_per_request(*this);
  instances_.emplace_back(type, instance);
  return instance;
}

Scope::~Scope() {
  for (auto it = cleanups_.rbegin(); it != cleanups_.rend(); ++it) {
    try {
      (*it)();
    } catch (const std::exception& e) {
      spdlog::error("dependency cleanup failed: {}", e.what());
    }
  }
}

}  // namespace sluice::di
