"""Constants shared by the schema, the pack format and the query layer (imports nothing heavy)."""

SCHEMA_VERSION = 1
ENTITY_TYPES = ("event", "actor", "agreement", "place")
