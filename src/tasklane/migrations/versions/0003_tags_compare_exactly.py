"""MariaDB/MySQL: tags compare exactly, as on SQLite and PostgreSQL.

``task_tags.tag`` took the table's accent-insensitive collation (utf8mb4_unicode_ci), so on
MariaDB a filter by ``cafe`` also found tasks tagged ``café`` (and ``strasse`` those tagged
``straße``), and the two were one row of the tag index. Tags are stored lower-case already;
a binary collation makes the filter exact on every database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tag_collation(collation: str) -> None:
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        op.alter_column(
            "task_tags",
            "tag",
            type_=mysql.VARCHAR(32, charset="utf8mb4", collation=collation),
            existing_nullable=False,
        )


def upgrade() -> None:
    _tag_collation("utf8mb4_bin")


def downgrade() -> None:
    _tag_collation("utf8mb4_unicode_ci")
