// Output of the real gobgp CLI (GoBGP 3.10.0, Debian bookworm) against gobgpd in a lab
// namespace: a BIRD neighbour 198.18.200.2 (AS 65000) sending 198.51.100.0/24 and
// 203.0.113.53/32, and local paths added with `gobgp global rib add`.

/** `gobgp -j global rib -a ipv4`: two learnt paths, one local path with every attribute. */
export const RIB_IPV4 =
  '{"198.51.100.0/24":[{"nlri":{"prefix":"198.51.100.0/24"},"age":1796186669,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[65000]}]},{"type":3,"nexthop":"198.18.200.2"}],"stale":false,"source-id":"198.18.200.2","neighbor-ip":"198.18.200.2"}],"203.0.113.53/32":[{"nlri":{"prefix":"203.0.113.53/32"},"age":1796186669,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[65000]}]},{"type":3,"nexthop":"198.18.200.2"}],"stale":false,"source-id":"198.18.200.2","neighbor-ip":"198.18.200.2"}],"203.0.113.54/32":[{"nlri":{"prefix":"203.0.113.54/32"},"age":1796186803,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[65001,65001]}]},{"type":4,"metric":0},{"type":5,"value":200},{"type":8,"communities":[4259905636,4294967041]},{"type":32,"value":[{"ASN":65001,"LocalData1":1,"LocalData2":2},{"ASN":65001,"LocalData1":2,"LocalData2":1}]},{"type":3,"nexthop":"0.0.0.0"}],"stale":false}]}\n';

/** `gobgp -j global rib -a ipv4 203.0.113.53/32`: our local path and a neighbour's, same prefix. */
export const RIB_SHARED_PREFIX =
  '{"203.0.113.53/32":[{"nlri":{"prefix":"203.0.113.53/32"},"age":1796186662,"best":true,"attrs":[{"type":1,"value":0},{"type":4,"metric":3},{"type":3,"nexthop":"0.0.0.0"}],"stale":false},{"nlri":{"prefix":"203.0.113.53/32"},"age":1796186669,"best":false,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[65000]}]},{"type":3,"nexthop":"198.18.200.2"}],"stale":false,"source-id":"198.18.200.2","neighbor-ip":"198.18.200.2"}]}\n';

/** `gobgp -j global rib -a ipv6`: a local path with a next hop, MED and a community. */
export const RIB_IPV6 =
  '{"2001:db8::53/128":[{"nlri":{"prefix":"2001:db8::53/128"},"age":1796186803,"best":true,"attrs":[{"type":1,"value":0},{"type":4,"metric":7},{"type":8,"communities":[4259905543]},{"type":14,"nexthop":"fd7e:1ab:0:f0::1","afi":2,"safi":1,"value":[{"prefix":"2001:db8::53/128"}]}],"stale":false}]}\n';

/** A local path added with no attributes but the prefix: origin incomplete, next hop unset. */
export const RIB_BARE =
  '{"203.0.113.55/32":[{"nlri":{"prefix":"203.0.113.55/32"},"age":1796185714,"best":true,"attrs":[{"type":1,"value":2},{"type":3,"nexthop":"0.0.0.0"}],"stale":false}]}\n';

/** A prefix gobgpd has no path for, and an empty family. */
export const RIB_EMPTY = '{}\n';

/** `gobgp -j global`. */
export const GLOBAL =
  '{"asn":65001,"router_id":"198.18.200.1","listen_port":-1,"listen_addresses":["0.0.0.0","::"]}\n';
/** `gobgp -j global` while gobgpd runs without a [global] section. */
export const GLOBAL_NOT_STARTED = '{}\n';

/** Nothing listens on the API port (exit 1 after gobgp's 1 s dial timeout). */
export const DOWN_JSON = '{"error":"context deadline exceeded"}\n';
export const DOWN_TEXT = 'context deadline exceeded\n';
/** gobgpd runs but has no [global] section yet (exit 1). */
export const NOT_STARTED_JSON =
  '{"error":"rpc error: code = Unknown desc = bgp server hasn\'t started yet"}\n';
export const NOT_STARTED_TEXT = "rpc error: code = Unknown desc = bgp server hasn't started yet\n";
/** `gobgp global rib -a ipv4 add 203.0.113.54/32 foo` (exit 1; usage abridged). */
export const PARSE_ERROR =
  'error: failed to parse [foo]\nusage: global rib -a ipv4 add <PREFIX> [identifier <VALUE>] [origin { igp | egp | incomplete }] [aspath <ASPATH>] [nexthop <ADDRESS>] [med <NUM>] [local-pref <NUM>] [community <COMMUNITY>] [aigp metric <NUM>] [large-community <LARGE_COMMUNITY>] [aggregator <AGGREGATOR>]\n';
