// Which addresses the server may open outbound connections to (webhook deliveries,
// server/webhook_sender.h): public unicast addresses only, so that a URL chosen by an API client
// cannot reach the server's own machine, its private network or a cloud metadata service
// (docs/insight.md "Webhook deliveries" lists the ranges).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>

namespace trackly::server {

// The special-purpose range `address` lies in, as "<prefix> (<what>)", e.g.
// "10.0.0.0/8 (private)", "169.254.0.0/16 (link-local)", "fe80::/10 (link-local)"; nullopt when
// `address` is a public unicast address.
//
// IPv4: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24,
// 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 and 255.255.255.255.
// IPv6: ::, ::1, ::/96 (IPv4-compatible), 64:ff9b:1::/48, 100::/64, 2001::/32 (Teredo),
// 2001:db8::/32, fc00::/7, fec0::/10, fe80::/10, ff00::/8. An IPv6 address that embeds an IPv4
// one (IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96, NAT64 64:ff9b::/96, 6to4
// 2002::/16) is judged by the embedded address, e.g.
// "::ffff:0:0/96 (IPv4-mapped) embedding 127.0.0.1 in 127.0.0.0/8 (loopback)".
std::optional<std::string> NonPublicRange(const boost::asio::ip::address& address);

}  // namespace trackly::server
