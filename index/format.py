"""The index file's format: what a build writes into ``build_info`` and what a reader expects.

Bump it when the schema or what a worker computes changes: an older file then gets a full build,
and a server given one answers 503 naming the file instead of failing on a missing column.
"""

FORMAT_VERSION = "5"  # 5: 会派 named in the minutes (members.roster_party, affiliations.source/named_on/quote)
