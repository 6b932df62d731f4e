CREATE TABLE meta (
	"key" VARCHAR NOT NULL, 
	value VARCHAR NOT NULL, 
	PRIMARY KEY ("key")
);

CREATE TABLE pack (
	id INTEGER NOT NULL, 
	ref VARCHAR NOT NULL, 
	title VARCHAR NOT NULL, 
	description VARCHAR NOT NULL, 
	entities INTEGER NOT NULL, 
	links INTEGER NOT NULL, 
	positions INTEGER NOT NULL, 
	sources INTEGER NOT NULL, 
	latest VARCHAR, 
	PRIMARY KEY (id), 
	UNIQUE (ref)
);

CREATE TABLE entity (
	id INTEGER NOT NULL, 
	ref VARCHAR NOT NULL, 
	type VARCHAR NOT NULL, 
	kind VARCHAR, 
	name VARCHAR NOT NULL, 
	summary VARCHAR NOT NULL, 
	date VARCHAR, 
	date_end VARCHAR, 
	date_precision VARCHAR, 
	date_uncertain BOOLEAN NOT NULL, 
	date_note VARCHAR, 
	attributes VARCHAR NOT NULL, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE UNIQUE INDEX ix_entity_ref ON entity (ref);

CREATE TABLE relation (
	name VARCHAR NOT NULL, 
	label VARCHAR NOT NULL, 
	inverse VARCHAR NOT NULL, 
	description VARCHAR NOT NULL, 
	source_types VARCHAR NOT NULL, 
	target_types VARCHAR NOT NULL, 
	pack_id INTEGER, 
	PRIMARY KEY (name), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE TABLE source (
	id VARCHAR NOT NULL, 
	title VARCHAR NOT NULL, 
	publisher VARCHAR, 
	date VARCHAR, 
	address VARCHAR, 
	text VARCHAR, 
	via VARCHAR, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE INDEX ix_source_via ON source (via);

CREATE TABLE alias (
	id INTEGER NOT NULL, 
	entity_id INTEGER NOT NULL, 
	alias VARCHAR NOT NULL, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(entity_id) REFERENCES entity (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE INDEX ix_alias_entity_id ON alias (entity_id);

CREATE TABLE citation (
	id INTEGER NOT NULL, 
	subject VARCHAR NOT NULL, 
	subject_id INTEGER NOT NULL, 
	source_id VARCHAR NOT NULL, 
	quote VARCHAR NOT NULL, 
	"offset" INTEGER, 
	line INTEGER, 
	pack_id INTEGER, 
	PRIMARY KEY (subject, subject_id, id), 
	FOREIGN KEY(source_id) REFERENCES source (id)
)
 WITHOUT ROWID;

CREATE INDEX ix_citation_source_offset ON citation (source_id, "offset");

CREATE TABLE entity_order (
	pack_id INTEGER NOT NULL, 
	type VARCHAR NOT NULL, 
	pos INTEGER NOT NULL, 
	entity_id INTEGER NOT NULL, 
	PRIMARY KEY (pack_id, type, pos), 
	FOREIGN KEY(entity_id) REFERENCES entity (id)
)
 WITHOUT ROWID;

CREATE INDEX ix_entity_order_entity_id ON entity_order (entity_id);

CREATE TABLE entity_pack (
	entity_id INTEGER NOT NULL, 
	pack_id INTEGER NOT NULL, 
	fields VARCHAR, 
	PRIMARY KEY (entity_id, pack_id), 
	FOREIGN KEY(entity_id) REFERENCES entity (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
)
 WITHOUT ROWID;

CREATE TABLE link (
	id INTEGER NOT NULL, 
	subject_id INTEGER NOT NULL, 
	relation VARCHAR NOT NULL, 
	object_id INTEGER NOT NULL, 
	note VARCHAR, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(subject_id) REFERENCES entity (id), 
	FOREIGN KEY(relation) REFERENCES relation (name), 
	FOREIGN KEY(object_id) REFERENCES entity (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE INDEX ix_link_object ON link (object_id, relation, subject_id);

CREATE INDEX ix_link_subject ON link (subject_id, relation, object_id);

CREATE TABLE note (
	id INTEGER NOT NULL, 
	entity_id INTEGER NOT NULL, 
	text VARCHAR NOT NULL, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(entity_id) REFERENCES entity (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE INDEX ix_note_entity_id ON note (entity_id);

CREATE TABLE position (
	id INTEGER NOT NULL, 
	ref VARCHAR NOT NULL, 
	actor_id INTEGER NOT NULL, 
	topic VARCHAR NOT NULL, 
	topic_id INTEGER, 
	stance VARCHAR NOT NULL, 
	statement VARCHAR NOT NULL, 
	date VARCHAR, 
	date_precision VARCHAR, 
	date_uncertain BOOLEAN NOT NULL, 
	pack_id INTEGER, 
	PRIMARY KEY (id), 
	UNIQUE (ref), 
	FOREIGN KEY(actor_id) REFERENCES entity (id), 
	FOREIGN KEY(topic_id) REFERENCES entity (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
);

CREATE INDEX ix_position_actor_id ON position (actor_id);

CREATE INDEX ix_position_topic_id ON position (topic_id);

CREATE TABLE relation_wording (
	name VARCHAR NOT NULL, 
	pack_id INTEGER NOT NULL, 
	label VARCHAR NOT NULL, 
	inverse VARCHAR NOT NULL, 
	description VARCHAR NOT NULL, 
	source_types VARCHAR NOT NULL, 
	target_types VARCHAR NOT NULL, 
	PRIMARY KEY (name, pack_id), 
	FOREIGN KEY(name) REFERENCES relation (name), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
)
 WITHOUT ROWID;

CREATE TABLE source_pack (
	source_id VARCHAR NOT NULL, 
	pack_id INTEGER NOT NULL, 
	PRIMARY KEY (source_id, pack_id), 
	FOREIGN KEY(source_id) REFERENCES source (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
)
 WITHOUT ROWID;

CREATE TABLE position_pack (
	position_id INTEGER NOT NULL, 
	pack_id INTEGER NOT NULL, 
	PRIMARY KEY (position_id, pack_id), 
	FOREIGN KEY(position_id) REFERENCES position (id), 
	FOREIGN KEY(pack_id) REFERENCES pack (id)
)
 WITHOUT ROWID;

