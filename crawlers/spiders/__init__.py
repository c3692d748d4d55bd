"""One spider per minutes system; all subclass :class:`crawlers.spiders.base.MinutesSpider`.

``spider_for(system)`` finds the spider class of a system by module name
(``crawlers.spiders.<system>``), so a new system needs no registration here.
"""

from __future__ import annotations

import importlib

from crawlers.spiders.base import MinutesSpider


def spider_for(system: str) -> type[MinutesSpider]:
    """The MinutesSpider subclass defined in ``crawlers.spiders.<system>``."""
    try:
        module = importlib.import_module(f"crawlers.spiders.{system}")
    except ModuleNotFoundError as exc:
        if exc.name == f"crawlers.spiders.{system}":
            raise LookupError(f"no spider for system {system!r} (crawlers/spiders/{system}.py)") from None
        raise
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, MinutesSpider)
            and value is not MinutesSpider
            and value.__module__ == module.__name__
        ):
            return value
    raise LookupError(f"crawlers/spiders/{system}.py defines no MinutesSpider subclass")
