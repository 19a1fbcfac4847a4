// Two routes doing the same work — read a query parameter, read and validate a JSON body,
// resolve one dependency, answer a JSON model — one through the typed API layer, one by hand
// on the raw request. bench/api.sh measures the server CPU each costs per request.
// Usage: sluice-api-bench PORT

#include <sluice/sluice.hpp>

#include <boost/json/parse.hpp>

#include <cstdio>

using namespace sluice;

struct Pricer {
  double tax = 0.2;
};

struct Item {
  Field<std::string, MinLength<1>> name;
  Field<double, Ge<0.0>> price;
  Field<int, Ge<1>, WithDefault> quantity = 1;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price, quantity))

struct Quote {
  std::string name;
  std::string currency;
  double total;
};
BOOST_DESCRIBE_STRUCT(Quote, (), (name, currency, total))

awaitable<Quote> typed(Query<"currency", std::string> currency, Body<Item> item, Depends<Pricer> pricer) {
  co_return Quote{*item->name, *currency, *item->price * *item->quantity * (1 + pricer->tax)};
}

awaitable<Response> raw(Request& req) {
  auto currency = req.query("currency");
  boost::system::error_code ec;
  auto body = json::parse(req.body(), ec);
  const json::object* item = ec ? nullptr : body.if_object();
  const json::value* name = item ? item->if_contains("name") : nullptr;
  const json::value* price = item ? item->if_contains("price") : nullptr;
  const json::value* quantity = item ? item->if_contains("quantity") : nullptr;
  bool valid = currency && name && name->is_string() && !name->get_string().empty() && price && price->is_number() &&
               price->to_number<double>() >= 0 && (!quantity || (quantity->is_int64() && quantity->get_int64() >= 1));
  if (!valid) co_return Response::error(core::validation_error({}));
  auto pricer = req.depends<Pricer>();
  double total = price->to_number<double>() * (quantity ? quantity->get_int64() : 1) * (1 + pricer->tax);
  co_return Response::json({{"name", name->get_string()}, {"currency", *currency}, {"total", total}});
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  App app(1);
  app.services().add_singleton(std::make_shared<Pricer>());
  app.post("/typed", typed);
  app.post("/raw", raw);
  app.get("/health", []() -> awaitable<json::value> { co_return json::value{{"status", "ok"}}; });
  app.run({.port = static_cast<std::uint16_t>(std::stoi(argv[1])), .io_threads = 1});
}
