#pragma once
// Dependency injection: services registered once, resolved by type.

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace sluice::di {

class Scope;

/// Thrown when a type was never registered (a programming error, surfaced as a 500).
class MissingDependency : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The application's service registry. Register everything before `start()`; from then on the
/// container is read-only and safe to use from every thread.
class Container {
 public:
  /// One instance for the whole application.
  template <class T>
  void add_singleton(std::shared_ptr<T> instance) {
    put(typeid(T), Entry{Lifetime::singleton, std::move(instance), {}, {}});
  }
  /// One instance for the whole application, built on first use (or at `start()`).
  template <class T>
  void add_singleton(std::function<std::shared_ptr<T>(Container&)> factory) {
    put(typeid(T), Entry{Lifetime::singleton, nullptr,
                         [f = std::move(factory)](Container& c) -> std::shared_ptr<void> { return f(c); }, {}});
  }
  /// A fresh instance per request; the factory may register cleanup with `Scope::on_exit`,
  /// which runs after the response is sent (FastAPI's `yield` dependencies).
  template <class T>
  void add_per_request(std::function<std::shared_ptr<T>(Scope&)> factory) {
    put(typeid(T), Entry{Lifetime::per_request, nullptr, {},
                         [f = std::move(factory)](Scope& s) -> std::shared_ptr<void> { return f(s); }});
  }
  /// Replaces whatever is registered for T with `instance` (tests swap in fakes this way).
  template <class T>
  void override_with(std::shared_ptr<T> instance) {
    add_singleton<T>(std::move(instance));
  }

  /// The singleton for T; throws MissingDependency, or whatever its factory throws.
  template <class T>
  std::shared_ptr<T> get() {
    return std::static_pointer_cast<T>(resolve_singleton(typeid(T)));
  }
  template <class T>
  bool has() const {
    return entries_.contains(typeid(T));
  }

  /// Lifespan hooks: start-up hooks run in registration order, shutdown hooks in reverse.
  void on_startup(std::function<void()> hook);
  void on_shutdown(std::function<void()> hook);
  /// Builds every singleton, then runs the start-up hooks.
  void start();
  /// Runs the shutdown hooks (reverse order); each failure is logged and the rest still run.
  void stop();

 private:
  friend class Scope;
  enum class Lifetime { singleton, per_request };
  struct Entry {
    Lifetime lifetime;
    std::shared_ptr<void> instance;
    std::function<std::shared_ptr<void>(Container&)> build_singleton;
    std::function<std::shared_ptr<void>(Scope&)> build_per_request;
  };

  void put(std::type_index type, Entry entry);
  const Entry& entry(std::type_index type) const;
  std::shared_ptr<void> resolve_singleton(std::type_index type);

  std::unordered_map<std::type_index, Entry> entries_;
  std::vector<std::type_index> order_;
  std::vector<std::function<void()>> startup_hooks_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::recursive_mutex build_mutex_;  // guards lazy singleton construction (factories may nest)
  bool started_ = false;
};

/// The dependencies of one request: per-request instances and their cleanups.
class Scope {
 public:
  explicit Scope(Container& container) : container_(container) {}
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  /// The instance of T for this request (per-request or singleton).
  template <class T>
  std::shared_ptr<T> get() {
    return std::static_pointer_cast<T>(resolve(typeid(T)));
  }
  /// Runs `cleanup` when the scope ends (after the response); last registered runs first.
  void on_exit(std::function<void()> cleanup) { cleanups_.push_back(std::move(cleanup)); }
  Container& container() { return container_; }

 private:
  std::shared_ptr<void> resolve(std::type_index type);

  Container& container_;
  std::vector<std::pair<std::type_index, std::shared_ptr<void>>> instances_;
  std::vector<std::function<void()>> cleanups_;
};

}  // namespace sluice::di
