"""Constants shared by the schema, the pack format and the query layer (imports nothing heavy)."""

SCHEMA_VERSION = 2  # the database's tables; 2 added search_term (prefix search at scale)
PACK_FORMAT_VERSION = 1  # the pack documents that packs, `export` and `import` use
ENTITY_TYPES = ("event", "actor", "agreement", "place")
