#pragma once
// Everything an application needs, with short names: `using namespace sluice;` and write
// handlers as in FastAPI (see examples/).

#include "sluice/api/app.hpp"
#include "sluice/api/background_tasks.hpp"
#include "sluice/api/bind.hpp"
#include "sluice/api/constraints.hpp"
#include "sluice/api/model.hpp"
#include "sluice/api/params.hpp"
#include "sluice/client/http_client.hpp"
#include "sluice/api/route_group.hpp"
#include "sluice/api/security.hpp"
#include "sluice/limits/admission.hpp"
#include "sluice/limits/deadline.hpp"
#include "sluice/limits/limiter.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <boost/json/value.hpp>

namespace sluice {

template <class T>
using awaitable = boost::asio::awaitable<T>;
namespace json = boost::json;

using api::BackgroundTasks;
using api::Body;
using api::Cookie;
using api::Depends;
using api::Field;
using api::Header;
using api::Path;
using api::Query;
using api::RouteDoc;
using api::RouteGroup;
using api::Ge;
using api::Gt;
using api::Le;
using api::Lt;
using api::MaxLength;
using api::MinLength;
using api::Pattern;
using api::WithDefault;
using core::ComputePool;
using core::Error;
using core::Result;
using http::Request;
using http::Response;

}  // namespace sluice
