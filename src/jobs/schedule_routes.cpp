// jobs::schedule_routes: create, list, pause, resume and delete schedules.
#include "sluice/jobs/schedule_routes.hpp"

#include "sluice/api/bind.hpp"
#include "sluice/api/constraints.hpp"
#include "sluice/api/params.hpp"
#include "sluice/jobs/cron.hpp"
#include "sluice/jobs/schedule.hpp"

#include <boost/describe/class.hpp>

#include <optional>

namespace sluice::jobs {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace api;
using http::Request;
using http::Response;

/// Unknown fields are refused (422 extra_forbidden): a misspelt "timezone" must not silently mean UTC.
struct NewScheduleBody {
  // Names appear in URLs and in each job's idempotency key (schedule:<name>:<tick>).
  Field<std::string, MinLength<1>, MaxLength<200>, Pattern<"^[A-Za-z0-9][A-Za-z0-9._-]*$">> name;
  Field<std::string, MinLength<1>, MaxLength<200>> type;
  std::optional<json::value> payload;
  Field<std::string, MinLength<1>, MaxLength<200>, WithDefault> queue = std::string("default");
  std::optional<Field<std::string, MinLength<1>, MaxLength<200>>> cron;
  std::optional<Field<std::string, MinLength<1>, MaxLength<100>>> timezone;  // cron only; default UTC
  std::optional<Field<std::int64_t, Ge<50>, Le<std::int64_t{31'536'000'000}>>> every_ms;
  Field<std::string, WithDefault> misfire = std::string("skip");
  std::optional<Field<std::int64_t, Ge<-1000>, Le<1000>>> priority;
  std::optional<Field<std::int64_t, Ge<1>, Le<100>>> max_attempts;
  std::optional<Field<std::int64_t, Ge<1>, Le<std::int64_t{604'800'000}>>> timeout_ms;
  static constexpr bool forbid_extra_fields = true;
};
BOOST_DESCRIBE_STRUCT(NewScheduleBody, (),
                      (name, type, payload, queue, cron, timezone, every_ms, misfire, priority, max_attempts, timeout_ms))

namespace {

using ScheduleName = Path<"name", Field<std::string, MinLength<1>, MaxLength<200>>>;

core::Error schedule_not_found() { return {404, "not_found", "Schedule not found", nullptr}; }

core::FieldIssue issue(std::string type, std::string_view field, std::string message, json::value input = nullptr) {
  return {std::move(type), json::array{"body", field}, std::move(message), std::move(input)};
}

/// The schedule a validated body describes, or the issues that stop it (each naming its field).
std::vector<core::FieldIssue> check(const NewScheduleBody& body) {
  std::vector<core::FieldIssue> issues;
  if (body.cron.has_value() == body.every_ms.has_value())
    issues.push_back(issue(body.cron ? "value_error" : "missing", body.cron ? "every_ms" : "cron",
                           "Give exactly one of cron and every_ms"));
  if (body.timezone && !body.cron)
    issues.push_back(issue("value_error", "timezone", "timezone applies to cron schedules only"));
  if (body.timezone && !TimeZone::locate(**body.timezone))
    issues.push_back(issue("unknown_timezone", "timezone", "Unknown IANA time zone", json::string(**body.timezone)));
  if (body.cron) {
    auto cron = CronExpression::parse(**body.cron);
    if (!cron)
      issues.push_back(issue("invalid_cron", "cron", cron.error().message, json::string(**body.cron)));
    else if (!next_cron_tick(*cron, TimeZone::utc(), now_ms()))
      issues.push_back(issue("invalid_cron", "cron", "The expression never matches a date", json::string(**body.cron)));
  }
  if (*body.misfire != "skip" && *body.misfire != "catch_up")
    issues.push_back(issue("enum", "misfire", "Input should be 'skip' or 'catch_up'", json::string(*body.misfire)));
  return issues;
}

Schedule schedule_from(const NewScheduleBody& body, const ScheduleRouteOptions& options, const Request& request) {
  Schedule s;
  s.name = *body.name;
  s.type = *body.type;
  s.payload = body.payload.value_or(json::object());
  s.queue = *body.queue;
  if (body.cron) s.cron = **body.cron;
  if (body.timezone) s.timezone = **body.timezone;
  if (body.every_ms) s.every_ms = **body.every_ms;
  s.misfire = *body.misfire == "catch_up" ? Misfire::catch_up : Misfire::skip;
  s.max_attempts = body.max_attempts ? static_cast<int>(**body.max_attempts) : options.job_defaults.max_attempts;
  s.timeout_ms = body.timeout_ms ? **body.timeout_ms : options.job_defaults.timeout.count();
  s.backoff_ms = options.job_defaults.backoff.count();
  s.priority = body.priority ? static_cast<int>(**body.priority) : 0;
  if (options.owner) s.owner = options.owner(request);
  s.created_at_ms = now_ms();
  s.last_tick_ms = s.created_at_ms;  // nothing before its creation is due
  return s;
}

/// What every handler shares.
struct Context {
  ScheduleRouteOptions options;

  /// The schedule, when it exists and `request` may see it.
  asio::awaitable<std::optional<Schedule>> find_visible(std::string name, const Request& request) const {
    // Each store call is a named lambda: GCC 12 destroys a temporary in a co_await twice.
    auto read = [name = std::move(name)](JobStore& store) { return store.schedules()->get(name); };
    auto found = co_await options.queue->on_storage(read);
    if (found && options.viewer) {
      auto owner = options.viewer(request);
      if (owner && found->owner != *owner) found.reset();  // someone else's: as if absent
    }
    co_return found;
  }
};

asio::awaitable<Response> create(const Context& context, Body<NewScheduleBody> body, Request& request) {
  const auto& spec = body.value;
  auto issues = check(spec);
  if (context.options.queue->handler(*spec.type))
    issues.push_back(issue("reserved_type", "type", "'" + *spec.type + "' jobs are run by the server itself",
                           json::string(*spec.type)));
  if (!issues.empty()) co_return Response::error(core::validation_error(issues));
  auto schedule = schedule_from(spec, context.options, request);
  auto store_it = [schedule](JobStore& store) { return store.schedules()->create(schedule); };
  const bool is_created = co_await context.options.queue->on_storage(store_it);
  if (!is_created)
    co_return Response::error({409, "schedule_exists", "A schedule named '" + schedule.name + "' exists", nullptr});
  co_return Response::json(schedule.to_json(), http::Status::created);
}

asio::awaitable<Response> pause_or_resume(const Context& context, std::string name, bool is_paused,
                                          const Request& request) {
  auto visible = co_await context.find_visible(name, request);
  if (!visible) co_return Response::error(schedule_not_found());
  auto change = [name, is_paused](JobStore& store) { return store.schedules()->set_paused(name, is_paused, now_ms()); };
  co_await context.options.queue->on_storage(change);
  auto changed = co_await context.find_visible(name, request);
  if (!changed) co_return Response::error(schedule_not_found());  // deleted meanwhile
  co_return Response::json(changed->to_json());
}

}  // namespace

RouteGroup schedule_routes(ScheduleRouteOptions options) {
  RouteGroup group(options.group);
  auto context = std::make_shared<const Context>(Context{std::move(options)});
  group.post(
      "", [context](Body<NewScheduleBody> body, Request& request) { return create(*context, std::move(body), request); },
      {.summary = "Create a schedule",
       .description = "Enqueues a job of `type` with `payload` on every tick of `cron` (5 fields, read in "
                      "`timezone`, default UTC) or every `every_ms` from now, exactly once per tick however many "
                      "nodes run. misfire: skip (default: after downtime, the latest missed tick fires once) or "
                      "catch_up (every missed tick, at most 100). See docs/jobs.md, Schedules.",
       .status_code = 201,
       .response_description = "Schedule created"});
  group.get(
      "",
      [context](Request& request) -> asio::awaitable<Response> {
        auto read = [](JobStore& store) { return store.schedules()->list(); };
        auto all = co_await context->options.queue->on_storage(read);
        std::optional<std::string> owner;
        if (context->options.viewer) owner = context->options.viewer(request);
        json::array items;
        for (const auto& schedule : all)
          if (!owner || schedule.owner == *owner) items.push_back(schedule.to_json());
        co_return Response::json(json::object{{"schedules", std::move(items)}});
      },
      {.summary = "List schedules", .description = "By name, each with next_run_at and last_run_at (epoch ms)."});
  group.get(
      "/{name}",
      [context](ScheduleName name, Request& request) -> asio::awaitable<Response> {
        auto found = co_await context->find_visible(**name, request);
        if (!found) co_return Response::error(schedule_not_found());
        co_return Response::json(found->to_json());
      },
      {.summary = "Get a schedule"});
  group.post(
      "/{name}/pause",
      [context](ScheduleName name, Request& request) { return pause_or_resume(*context, **name, true, request); },
      {.summary = "Pause a schedule", .description = "No tick fires while paused."});
  group.post(
      "/{name}/resume",
      [context](ScheduleName name, Request& request) { return pause_or_resume(*context, **name, false, request); },
      {.summary = "Resume a schedule",
       .description = "Ticks from now on fire; those that passed while paused do not (whatever the misfire policy)."});
  group.del(
      "/{name}",
      [context](ScheduleName name, Request& request) -> asio::awaitable<Response> {
        auto visible = co_await context->find_visible(**name, request);
        if (!visible) co_return Response::error(schedule_not_found());
        auto remove = [name = **name](JobStore& store) { return store.schedules()->remove(name); };
        const bool is_removed = co_await context->options.queue->on_storage(remove);
        if (!is_removed) co_return Response::error(schedule_not_found());
        co_return Response::json(json::object{{"name", **name}, {"deleted", true}});
      },
      {.summary = "Delete a schedule", .description = "Jobs it already enqueued stay."});
  return group;
}

}  // namespace sluice::jobs
