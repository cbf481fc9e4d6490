// Answers of FRR 8.4.4's vtysh (Debian bookworm), captured in a lab namespace with a
// pathspace (`vtysh -N frrx -d bgpd …`), verbatim. The stderr line about vtysh.conf is what
// vtysh prints for a pathspace without one.

export const VTYSH_CONF_NOISE =
  "% Can't open configuration file /etc/frr/frrx/vtysh.conf due to 'No such file or directory'.\n";

/** `show running-config`: operator networks (one with a route-map), a VRF, a view, other families. */
export const RUNNING_CONFIG = `Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname node
log file /tmp/frrx/frr.log
hostname vm
!
router bgp 65001
 bgp router-id 198.18.0.1
 no bgp ebgp-requires-policy
 neighbor 198.18.0.2 remote-as 65000
 !
 address-family ipv4 unicast
  network 198.51.100.0/24
  network 198.51.100.128/25 route-map OPS
  network 203.0.113.1/32
 exit-address-family
 !
 address-family ipv4 multicast
  network 203.0.113.200/32
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8::1/128
  neighbor 198.18.0.2 activate
 exit-address-family
 !
 address-family l2vpn evpn
  advertise-all-vni
 exit-address-family
exit
!
router bgp 65001 vrf blue
 bgp router-id 198.18.0.1
 no bgp network import-check
 !
 address-family ipv4 unicast
  network 203.0.113.9/32
 exit-address-family
exit
!
router bgp 65001 view v1
 !
 address-family ipv4 unicast
  network 203.0.113.201/32
 exit-address-family
exit
!
route-map OPS permit 10
exit
!
end
`;

/** `show running-config` with bgpd running but no `router bgp` at all. */
export const RUNNING_CONFIG_NO_BGP = `Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname node
log file /tmp/frrx/frr.log
hostname vm
!
end
`;

/** A `network` with a malformed prefix, half way through: the commands after it did not run (exit 1). */
export const UNKNOWN_COMMAND = {
  exitCode: 1,
  stdout: '% Unknown command: network 203.0.113.999/32\n',
  stderr: VTYSH_CONF_NOISE,
};

/** `no network` for a statement bgpd does not have (exit 1). */
export const NO_SUCH_NETWORK = {
  exitCode: 1,
  stdout: "% Can't find static route specified\n",
  stderr: VTYSH_CONF_NOISE,
};

/** `router bgp 65002` while bgpd runs AS 65001 (exit 1). */
export const OTHER_ASN = {
  exitCode: 1,
  stdout: 'BGP is already running; AS is 65001\n',
  stderr: VTYSH_CONF_NOISE,
};

/** `vtysh -d bgpd …` with bgpd stopped, or a pathspace nothing runs in (exit 1). */
export const NO_DAEMONS = {
  exitCode: 1,
  stdout: '',
  stderr: VTYSH_CONF_NOISE + 'Exiting: failed to connect to any daemons.\n',
};

/** A configuration command without `-d bgpd` while bgpd is stopped (exit 1). */
export const BGPD_NOT_RUNNING = {
  exitCode: 1,
  stdout: '',
  stderr: VTYSH_CONF_NOISE + 'bgpd is not running\n',
};

/** A configuration command that worked: nothing but the noise (exit 0). */
export const CONFIG_OK = { exitCode: 0, stdout: '', stderr: VTYSH_CONF_NOISE };

/**
 * One sync's write: `configure terminal`, `router bgp 65001`, `address-family ipv4 unicast`,
 * `no network 203.0.113.1/32`, `network 203.0.113.53/32`, …, `router bgp 65001 vrf blue`,
 * `address-family ipv6 unicast`, `network 2001:db8::123:7e11:713e/128`, …, `end`,
 * `show running-config` (exit 0): the configuration it leaves, printed by the same run.
 */
export const WRITE_AND_SHOW = {
  exitCode: 0,
  stdout: `Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname node
log file /tmp/frrx/frr.log
hostname vm
!
router bgp 65001
 bgp router-id 198.18.0.1
 no bgp ebgp-requires-policy
 neighbor 198.18.0.2 remote-as 65000
 !
 address-family ipv4 unicast
  network 198.51.100.0/24
  network 198.51.100.128/25 route-map OPS
  network 203.0.113.53/32
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8::1/128
  neighbor 198.18.0.2 activate
 exit-address-family
exit
!
router bgp 65001 vrf blue
 bgp router-id 198.18.0.1
 no bgp network import-check
 !
 address-family ipv4 unicast
  network 203.0.113.9/32
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8::123:7e11:713e/128
 exit-address-family
exit
!
route-map OPS permit 10
exit
!
end
`,
  stderr: VTYSH_CONF_NOISE,
};
