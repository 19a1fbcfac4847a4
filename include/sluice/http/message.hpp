#pragma once
// Beast message types as Sluice names them.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/status.hpp>

namespace sluice::http {

namespace beast_http = boost::beast::http;
using Verb = beast_http::verb;
using Status = beast_http::status;
using Field = beast_http::field;
using RawRequest = beast_http::request<beast_http::string_body>;
using RawResponse = beast_http::response<beast_http::string_body>;

}  // namespace sluice::http
