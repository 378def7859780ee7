"""Who a request comes from, for rate limits: the reader's address, not the proxy's.

Behind nginx (deploy/) every request reaches granian from the proxy, so REMOTE_ADDR alone
would put all readers under one limit. X-Forwarded-For is believed only as far as the hops
that added to it are ours: a client can write anything at the start of the header, so the
address taken is the nearest one, walking from the right, that is not a trusted proxy.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_proxy(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """REMOTE_ADDR, unless it is one of GAZETTE_TRUSTED_PROXIES: then the right-most address
    in X-Forwarded-For that is not a trusted proxy."""
    networks = _networks(tuple(settings.GAZETTE_TRUSTED_PROXIES))
    address = request.META.get("REMOTE_ADDR", "")
    if not networks or not _is_proxy(address, networks):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_proxy(hop, networks):
            return hop
    return hops[0] if hops else address
