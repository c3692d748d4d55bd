"""Which assemblies exist, which minutes system each one runs, and whether we may crawl it.

Data lives beside this module in ``crawlers/registry/`` (see ``SOURCE.md`` there):

- ``municipalities.csv``: the 1,794 local bodies and their minutes-search URL;
- ``robots.csv``: robots.txt rules observed on minutes hosts (no network in CI,
  so reachability is computed from this checked-in file, not fetched);
- ``permissions.yaml``: assemblies whose operator permitted crawling despite
  robots.txt.

The National Diet has no 団体コード but records need a 6-digit code, so it is
added as two virtual assemblies: ``000001`` 衆議院 and ``000002`` 参議院.

Example::

    >>> reg = load_registry()
    >>> a = reg.get("012025")
    >>> a.name, a.system
    ('函館市議会', 'discussnet_ssp')
    >>> reg.status(a)
    'blocked'
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

DATA_DIR = Path(__file__).with_name("registry")

SYSTEMS = ("discussnet_ssp", "dbsearch", "voices", "kensakusystem", "kokkai", "tokyo_gikai")
"""Systems a spider exists for; anything else is ``unsupported``."""

STATUSES = ("reachable", "blocked", "permitted", "unsupported")

DIET_ASSEMBLIES = {"000001": "衆議院", "000002": "参議院"}
KOKKAI_API = "https://kokkai.ndl.go.jp/api/meeting"

# Paths each spider has to fetch, used to decide whether a robots.txt rule
# blocks it. The page the registry links to is always checked as well.
SPIDER_PATHS: dict[str, tuple[str, ...]] = {
    "discussnet_ssp": ("/dnp/search/councils/index", "/dnp/search/minutes/get_minute"),
    "voices": ("/voices/cgi/",),
    "dbsearch": ("/index.php/",),
    "kensakusystem": (),
    "kokkai": ("/api/meeting",),
    "tokyo_gikai": ("/record/",),
}

_DISCUSSNET_TENANT = re.compile(r"/tenant/[^/]+/", re.IGNORECASE)
# Self-hosted installations keep the vendors' own paths and query strings.
_VOICES_PATH = re.compile(r"/voices/|/g0\dv_search\.asp$|/voiweb\.exe$", re.IGNORECASE)
_KENSAKUSYSTEM_PATH = re.compile(r"/cgi-bin3/(?:Search2|See|ResultFrame|r_Speakers|GetPerson)\.exe$", re.IGNORECASE)
_DBSEARCH_PATH = re.compile(r"/index\.php(?:/\d+)?$", re.IGNORECASE)
_DBSEARCH_QUERY = re.compile(r"(?:^|&)Template=", re.IGNORECASE)


class UnknownAssemblyError(KeyError):
    """No assembly with that code; the message names the code."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def detect_system(url: str) -> str:
    """Minutes system behind a search URL, from its host and path.

    >>> detect_system("https://ssp.kaigiroku.net/tenant/hakodate/SpMinuteSearch.html")
    'discussnet_ssp'
    >>> detect_system("http://giji.city.yokohama.lg.jp/tenant/yokohama/MinuteSearch.html")
    'discussnet_ssp'
    >>> detect_system("https://kaigiroku.city.shinagawa.tokyo.jp/index.php/9112250?Template=search-phrase")
    'dbsearch'
    >>> detect_system("https://example.jp/kaigiroku/")
    'unsupported'
    """
    if not url:
        return "unsupported"
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    if host == "kaigiroku.net" or host.endswith(".kaigiroku.net"):
        return "discussnet_ssp"
    if host.endswith(".dbsr.jp") or (_DBSEARCH_PATH.search(path) and _DBSEARCH_QUERY.search(parts.query)):
        return "dbsearch"
    if host.endswith("gijiroku.com") or _VOICES_PATH.search(path):
        return "voices"
    if host.endswith("kensakusystem.jp") or _KENSAKUSYSTEM_PATH.search(path):
        return "kensakusystem"
    if "gikai.metro.tokyo" in host:
        return "tokyo_gikai"
    if host == "kokkai.ndl.go.jp":
        return "kokkai"
    # Self-hosted DiscussNet (giji.city.yokohama.lg.jp) keeps the SaaS layout
    # /tenant/<slug>/...; discussvision.net is the vendor's video product,
    # which shares the path shape but has no minutes API.
    if _DISCUSSNET_TENANT.search(path) and not host.endswith("discussvision.net"):
        return "discussnet_ssp"
    return "unsupported"


@dataclass(frozen=True)
class Assembly:
    code: str
    prefecture: str | None
    municipality: str | None
    url: str
    population: int | None = None
    system: str = field(default="unsupported")

    @property
    def name(self) -> str:
        """The assembly's name as records carry it: 函館市議会, 東京都議会, 衆議院."""
        if self.code in DIET_ASSEMBLIES:
            return DIET_ASSEMBLIES[self.code]
        return f"{self.municipality or self.prefecture}議会"

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class RobotsRule:
    host: str
    disallow: str
    observed: str = ""
    note: str = ""

    def matches_host(self, host: str) -> bool:
        if self.host.startswith("*."):
            return host == self.host[2:] or host.endswith(self.host[1:])
        return host == self.host


class Registry:
    def __init__(
        self,
        assemblies: list[Assembly],
        robots: list[RobotsRule] | None = None,
        permissions: dict[str, str] | None = None,
    ):
        self._by_code = {a.code: a for a in assemblies}
        self.robots = robots or []
        self.permissions = permissions or {}

    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Assembly:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownAssemblyError(
                f"unknown assembly code {code!r}: not in {DATA_DIR / 'municipalities.csv'} "
                f"nor one of the Diet codes {sorted(DIET_ASSEMBLIES)}"
            ) from None

    def municipalities(self) -> list[Assembly]:
        """The local bodies of the CSV, without the virtual Diet entries."""
        return [a for a in self if a.code not in DIET_ASSEMBLIES]

    def blocking_rule(self, assembly: Assembly) -> RobotsRule | None:
        """The robots.txt rule that stops this assembly's spider, if any."""
        host = assembly.host
        paths = (urlsplit(assembly.url).path or "/",) + SPIDER_PATHS.get(assembly.system, ())
        for rule in self.robots:
            if rule.matches_host(host) and any(p.startswith(rule.disallow) for p in paths):
                return rule
        return None

    def permission(self, assembly: Assembly) -> str | None:
        return self.permissions.get(assembly.code)

    def status(self, assembly: Assembly) -> str:
        """``unsupported`` (no spider), ``permitted`` (operator's permission on file),
        ``blocked`` (robots.txt disallows what the spider needs) or ``reachable``."""
        if assembly.system not in SYSTEMS:
            return "unsupported"
        if self.permission(assembly):
            return "permitted"
        if self.blocking_rule(assembly):
            return "blocked"
        return "reachable"

    def summary(self, include_diet: bool = False) -> dict[str, dict[str, int]]:
        """``{system: {status: count}}`` over the assemblies, plus a ``total`` row."""
        table: dict[str, Counter] = {}
        for a in self if include_diet else self.municipalities():
            table.setdefault(a.system, Counter())[self.status(a)] += 1
        total = Counter()
        for counts in table.values():
            total.update(counts)
        out = {system: {s: counts.get(s, 0) for s in STATUSES} for system, counts in sorted(table.items())}
        out["total"] = {s: total.get(s, 0) for s in STATUSES}
        return out


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read_municipalities(path: Path) -> list[Assembly]:
    assemblies = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)  # header: 団体コード, 都道府県名（漢字）, 市区町村名（漢字）, kana…, URL, 人口, 年
        for row in reader:
            if not row:
                continue
            code, pref, muni, _pref_kana, _muni_kana, url, population = row[:7]
            url = url.strip()
            assemblies.append(
                Assembly(
                    code=code.strip(),
                    prefecture=pref.strip() or None,
                    municipality=muni.strip() or None,
                    url=url,
                    population=_int_or_none(population),
                    system=detect_system(url),
                )
            )
    return assemblies


def read_robots(path: Path) -> list[RobotsRule]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            RobotsRule(r["host"].strip().lower(), r["disallow"].strip(), r.get("observed", ""), r.get("note", ""))
            for r in csv.DictReader(fh)
            if r.get("host")
        ]


def read_permissions(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping assembly_code -> permission reference")
    out = {}
    for code, ref in data.items():
        code = str(code).zfill(6)
        if not re.fullmatch(r"\d{6}", code) or not ref:
            raise ValueError(f"{path}: bad entry {code!r}: {ref!r}")
        out[code] = str(ref)
    return out


def diet_assemblies() -> list[Assembly]:
    return [
        Assembly(code=code, prefecture=None, municipality=None, url=KOKKAI_API, system="kokkai")
        for code in DIET_ASSEMBLIES
    ]


def load_registry(
    data_dir: Path | None = None,
    permissions_path: Path | None = None,
) -> Registry:
    """Registry from the checked-in files; ``GIKAI_PERMISSIONS_FILE`` points at another permission file."""
    data_dir = data_dir or DATA_DIR
    if permissions_path is None:
        env = os.environ.get("GIKAI_PERMISSIONS_FILE")
        permissions_path = Path(env) if env else data_dir / "permissions.yaml"
    return Registry(
        read_municipalities(data_dir / "municipalities.csv") + diet_assemblies(),
        read_robots(data_dir / "robots.csv"),
        read_permissions(permissions_path),
    )


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    return load_registry()
