#include "server/address_policy.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace trackly::server {
namespace {

using Bytes16 = boost::asio::ip::address_v6::bytes_type;

struct V4Range {
  uint32_t base;
  int bits;
  std::string_view description;
};

// First match wins, so the broadcast address comes before 240/4 that holds it. IANA's
// special-purpose registry, less the few globally reachable entries we have no reason to allow.
constexpr V4Range kV4Ranges[] = {
    {0x00000000, 8, "0.0.0.0/8 (\"this network\")"},
    {0x0a000000, 8, "10.0.0.0/8 (private)"},
    {0x64400000, 10, "100.64.0.0/10 (shared address space, CGNAT)"},
    {0x7f000000, 8, "127.0.0.0/8 (loopback)"},
    {0xa9fe0000, 16, "169.254.0.0/16 (link-local, cloud metadata)"},
    {0xac100000, 12, "172.16.0.0/12 (private)"},
    {0xc0000000, 24, "192.0.0.0/24 (IETF protocol assignments)"},
    {0xc0000200, 24, "192.0.2.0/24 (documentation)"},
    {0xc0586300, 24, "192.88.99.0/24 (6to4 relay anycast)"},
    {0xc0a80000, 16, "192.168.0.0/16 (private)"},
    {0xc6120000, 15, "198.18.0.0/15 (benchmarking)"},
    {0xc6336400, 24, "198.51.100.0/24 (documentation)"},
    {0xcb007100, 24, "203.0.113.0/24 (documentation)"},
    {0xe0000000, 4, "224.0.0.0/4 (multicast)"},
    {0xffffffff, 32, "255.255.255.255 (broadcast)"},
    {0xf0000000, 4, "240.0.0.0/4 (reserved)"},
};

enum class V6Rule {
  kRefuse,     // the whole prefix is off limits
  kEmbedsV4,   // judged by the IPv4 address at byte `v4_offset`
};

struct V6Range {
  Bytes16 base;
  int bits;
  V6Rule rule;
  int v4_offset;
  std::string_view description;
};

constexpr Bytes16 V6(std::initializer_list<uint16_t> groups) {
  Bytes16 bytes{};
  size_t i = 0;
  for (uint16_t group : groups) {
    bytes[i++] = static_cast<unsigned char>(group >> 8);
    bytes[i++] = static_cast<unsigned char>(group & 0xff);
  }
  return bytes;
}

// First match wins: :: and ::1 before the ::/96 that holds them.
const V6Range kV6Ranges[] = {
    {V6({}), 128, V6Rule::kRefuse, 0, "::/128 (unspecified)"},
    {V6({0, 0, 0, 0, 0, 0, 0, 1}), 128, V6Rule::kRefuse, 0, "::1/128 (loopback)"},
    {V6({0, 0, 0, 0, 0, 0xffff}), 96, V6Rule::kEmbedsV4, 12, "::ffff:0:0/96 (IPv4-mapped)"},
    {V6({0, 0, 0, 0, 0xffff, 0}), 96, V6Rule::kEmbedsV4, 12, "::ffff:0:0:0/96 (IPv4-translated)"},
    {V6({}), 96, V6Rule::kRefuse, 0, "::/96 (IPv4-compatible, deprecated)"},
    {V6({0x64, 0xff9b}), 96, V6Rule::kEmbedsV4, 12, "64:ff9b::/96 (NAT64)"},
    {V6({0x64, 0xff9b, 1}), 48, V6Rule::kRefuse, 0, "64:ff9b:1::/48 (local-use NAT64)"},
    {V6({0x100}), 64, V6Rule::kRefuse, 0, "100::/64 (discard-only)"},
    {V6({0x2001, 0}), 32, V6Rule::kRefuse, 0, "2001::/32 (Teredo)"},
    {V6({0x2001, 0xdb8}), 32, V6Rule::kRefuse, 0, "2001:db8::/32 (documentation)"},
    {V6({0x2002}), 16, V6Rule::kEmbedsV4, 2, "2002::/16 (6to4)"},
    {V6({0xfc00}), 7, V6Rule::kRefuse, 0, "fc00::/7 (unique local)"},
    {V6({0xfec0}), 10, V6Rule::kRefuse, 0, "fec0::/10 (site-local, deprecated)"},
    {V6({0xfe80}), 10, V6Rule::kRefuse, 0, "fe80::/10 (link-local)"},
    {V6({0xff00}), 8, V6Rule::kRefuse, 0, "ff00::/8 (multicast)"},
};

bool InV4Range(uint32_t address, const V4Range& range) {
  const uint32_t mask = range.bits == 0 ? 0 : ~uint32_t{0} << (32 - range.bits);
  return (address & mask) == range.base;
}

bool InV6Range(const Bytes16& address, const V6Range& range) {
  int bits = range.bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((address[i] & mask) != (range.base[i] & mask)) return false;
  }
  return true;
}

std::optional<std::string> NonPublicV4(uint32_t address) {
  for (const V4Range& range : kV4Ranges) {
    if (InV4Range(address, range)) return std::string(range.description);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> NonPublicRange(const boost::asio::ip::address& address) {
  if (address.is_v4()) return NonPublicV4(address.to_v4().to_uint());
  const Bytes16 bytes = address.to_v6().to_bytes();
  for (const V6Range& range : kV6Ranges) {
    if (!InV6Range(bytes, range)) continue;
    if (range.rule == V6Rule::kRefuse) return std::string(range.description);
    // An address a translator or tunnel turns into an IPv4 one reaches whatever that IPv4
    // address reaches, so it gets the IPv4 verdict.
    const size_t at = static_cast<size_t>(range.v4_offset);
    const uint32_t v4 = uint32_t{bytes[at]} << 24 | uint32_t{bytes[at + 1]} << 16 |
                        uint32_t{bytes[at + 2]} << 8 | uint32_t{bytes[at + 3]};
    std::optional<std::string> embedded = NonPublicV4(v4);
    if (!embedded.has_value()) return std::nullopt;
    return absl::StrCat(Sv(range.description), " embedding ", boost::asio::ip::address_v4(v4).to_string(), " in ",
                        *embedded);
  }
  return std::nullopt;
}

}  // namespace trackly::server
