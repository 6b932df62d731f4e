"""Constants shared by the schema, the pack format and the query layer (imports nothing heavy)."""

SCHEMA_VERSION = 7  # the database's tables; 2 added search_term (prefix search at scale);
# 3 moved display order to entity_order and substring search to search_name (faster builds);
# 4 added entity.pack (the pack an entity came from); 5 added relation.source_types and
# .target_types (the entities a relation joins) and position.date_uncertain;
# 6 made packs data: the pack table, each record's pack_id, entity_pack and relation_wording;
# 7 (issue #15) added the indexes of citation by source and offset and of source by via (the
# source reader), ix_entity_type_kind (type, kind, date), and made the link indexes (end,
# relation, other end): pane filters by kind and dates, and by relation to an entity, read indexes only
PACK_FORMAT_VERSION = 2  # the pack documents that packs, `export` and `import` use; 2 added
# `packs:` and a `pack` on every record (a document of several packs)
ENTITY_TYPES = ("event", "actor", "agreement", "place")
REF_PATTERN = r"^[a-z]+/[a-z0-9][a-z0-9._-]*$"  # an entity id: `agreement/simla-1972`
