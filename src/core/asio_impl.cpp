// Boost.Asio and Beast are built once here instead of in every translation unit
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION, set in CMake).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>  // TLS for the server and the HTTP client (OpenSSL)
#include <boost/beast/src.hpp>
