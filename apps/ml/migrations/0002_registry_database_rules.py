"""What Meta.constraints cannot say, kept by PostgreSQL (SQLite, a development database, relies on the
models' own checks):

- versions and alias moves are written once: a BEFORE UPDATE trigger refuses any UPDATE of their rows,
  whoever sends it (the ORM already refuses, models/immutable.py; this catches raw SQL and other
  clients). SQLSTATE 23001 (restrict_violation), so Django raises IntegrityError.
- an alias, and each move, points at versions of its own model: composite foreign keys
  (model_id, version_id) -> ml_model_version (model_id, id), whose target is the always-true unique
  constraint ml_version_model_id. Deferred like Django's own foreign keys.
"""

from django.db import migrations

FORWARD = [
    """
CREATE FUNCTION ml_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable: UPDATE of id % refused', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$
""",
    """
CREATE TRIGGER ml_model_version_immutable BEFORE UPDATE ON ml_model_version
    FOR EACH ROW EXECUTE FUNCTION ml_reject_update()
""",
    """
CREATE TRIGGER ml_alias_move_immutable BEFORE UPDATE ON ml_alias_move
    FOR EACH ROW EXECUTE FUNCTION ml_reject_update()
""",
    """
ALTER TABLE ml_model_alias ADD CONSTRAINT ml_alias_version_of_model
    FOREIGN KEY (model_id, version_id) REFERENCES ml_model_version (model_id, id)
    DEFERRABLE INITIALLY DEFERRED
""",
    """
ALTER TABLE ml_alias_move ADD CONSTRAINT ml_alias_move_from_version_of_model
    FOREIGN KEY (model_id, from_version_id) REFERENCES ml_model_version (model_id, id)
    DEFERRABLE INITIALLY DEFERRED
""",
    """
ALTER TABLE ml_alias_move ADD CONSTRAINT ml_alias_move_to_version_of_model
    FOREIGN KEY (model_id, to_version_id) REFERENCES ml_model_version (model_id, id)
    DEFERRABLE INITIALLY DEFERRED
""",
]

REVERSE = [
    "ALTER TABLE ml_alias_move DROP CONSTRAINT ml_alias_move_to_version_of_model",
    "ALTER TABLE ml_alias_move DROP CONSTRAINT ml_alias_move_from_version_of_model",
    "ALTER TABLE ml_model_alias DROP CONSTRAINT ml_alias_version_of_model",
    "DROP TRIGGER ml_alias_move_immutable ON ml_alias_move",
    "DROP TRIGGER ml_model_version_immutable ON ml_model_version",
    "DROP FUNCTION ml_reject_update()",
]


def _postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)  # the trigger's % are not placeholders

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("ml", "0001_registry"),
    ]

    operations = [
        migrations.RunPython(_postgresql(FORWARD), _postgresql(REVERSE)),
    ]
