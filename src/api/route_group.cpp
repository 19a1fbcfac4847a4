#include "sluice/api/route_group.hpp"

namespace sluice::api {

namespace {
template <class T>
void prepend(std::vector<T>& to, const std::vector<T>& items) {
  to.insert(to.begin(), items.begin(), items.end());
}
}  // namespace

void apply(const RouteGroupOptions& options, RouteGroup::Entry& entry) {
  entry.path = options.prefix + entry.path;
  prepend(entry.doc.tags, options.tags);
  prepend(entry.doc.guards, options.guards);
  prepend(entry.doc.middleware, options.middleware);  // the group's run outside the route's
}

RouteGroup& RouteGroup::include(const RouteGroup& group, const RouteGroupOptions& extra) {
  for (auto& entry : group.entries()) {
    apply(extra, entry);
    routes_.push_back(std::move(entry));
  }
  return *this;
}

std::vector<RouteGroup::Entry> RouteGroup::entries() const {
  auto out = routes_;
  for (auto& entry : out) apply(options_, entry);
  return out;
}

}  // namespace sluice::api
