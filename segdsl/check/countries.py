"""Country spellings: ISO 3166 alpha-2, alpha-3 and English names are interchangeable.

>>> {'gb', 'gbr', 'united kingdom', 'uk'} <= aliases("GB")
True
>>> canonical("United Kingdom") == canonical("gbr") == "GB"
True
>>> canonical("Atlantis") is None
True
>>> canonical("UK")
'GB'
"""

from __future__ import annotations

import functools

import pycountry

# English names in everyday use that ISO 3166 does not list. They are spellings of the same
# country, so they take part in matching on both sides like the ISO names do.
EVERYDAY_NAMES = {
    "GB": ("UK", "Great Britain", "Britain"),
    "IE": ("Eire",),
    "US": ("USA", "America", "United States of America"),
    "NL": ("Holland",),
    "CZ": ("Czech Republic",),
}


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    by_alias: dict[str, str] = {}
    by_code: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        spellings = {code, country.alpha_3, country.name}
        for attr in ("official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                spellings.add(value)
        spellings.update(EVERYDAY_NAMES.get(code, ()))
        folded = {s.lower() for s in spellings}
        by_code[code] = folded
        for alias in folded:
            by_alias.setdefault(alias, code)
    return by_alias, {k: frozenset(v) for k, v in by_code.items()}


def canonical(value: str) -> str | None:
    """The ISO alpha-2 code of a country written any known way, or None."""
    return _tables()[0].get(value.strip().lower())


def aliases(value: str) -> frozenset[str]:
    """Every folded spelling of the country ``value`` names; just ``value`` folded if unknown."""
    code = canonical(value)
    if code is None:
        return frozenset({value.lower()})
    return _tables()[1][code]
