"""The index file's format: what a build writes into ``build_info`` and what a reader expects.

Bump it when the schema or what a worker computes changes: an older file then gets a full build,
and a server given one answers 503 naming the file instead of failing on a missing column.
"""

# 5: 会派 named in the minutes (members.roster_party, affiliations.source/named_on/quote)
# 6: build_info.embedding_fingerprint (which build of the model made the vectors); the default model is
#    now the trained models/chive-gikai, so vectors of the plain chiVe model no longer match the queries'
FORMAT_VERSION = "6"
