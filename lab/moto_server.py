"""The lab's moto server: moto's own server, with one lab-specific allowance.

Lab nodes use loopback addresses (127.0.0.11, .12, ...) as their private IPs, one per node, while
their availability zones rotate a, b, c. Real subnets can't interleave addresses like that, so
moto would refuse an address outside the subnet's CIDR; here a loopback address is accepted in
any subnet (still refused when already in use). Everything else is moto, unchanged.
Run as `python -m lab.moto_server -H 127.0.0.1 -p 8766`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moto.ec2.models import subnets
from moto.server import main

_request_ip = subnets.Subnet.request_ip


def request_ip(self: Any, ip: str, instance: Any) -> None:
    address = ipaddress.ip_address(ip)
    if address.is_loopback and address not in self.cidr:
        if ip in self._subnet_ips:
            raise Exception("IP already in use")
        self._subnet_ips[ip] = instance
        return
    _request_ip(self, ip, instance)


subnets.Subnet.request_ip = request_ip  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
