"""PostgreSQL search indexes: GIN over the weighted tsvector, trigram GIN over the vocabulary.

SQLite has neither; its fallback search needs no index, so these steps do nothing there.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS faq_article_search_vector_gin "
    "ON faq_article USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS faq_searchterm_word_trgm "
    "ON faq_searchterm USING gin (word gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS faq_article_search_vector_gin",
    "DROP INDEX IF EXISTS faq_searchterm_word_trgm",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("faq", "0001_help_centre")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(run_on_postgresql(CREATE), run_on_postgresql(DROP)),
    ]
