"""The crisis knowledge base: schema, database location, builder and the typed query layer."""
