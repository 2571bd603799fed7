"""The current database schema (SQLAlchemy Core). Migrations in `migrations/` produce it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()

# One row a paper: the merged view of every source. JSON lists/objects are stored as text so
# both backends read them the same way; `seq` is a change sequence that derived indexes follow.
papers = Table(
    "papers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("authors", Text),  # JSON list, in order
    Column("categories", Text),  # JSON list, primary first
    Column("primary_category", Text),
    Column("submitted", Text),  # ISO dates
    Column("updated", Text),
    Column("announced", Text),
    Column("version", Integer),
    Column("versions", Text),  # JSON list of {"version", "date"}
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("license", Text),
    Column("links", Text),  # JSON object: abs, pdf, code, project
    Column("priority", Integer, nullable=False),  # of the source that last set the fields
    Column("created_at", Text, nullable=False),
    Column("modified_at", Text, nullable=False),
    Index("ix_papers_seq", "seq"),
    Index("ix_papers_announced", "announced"),
    Index("ix_papers_primary_category", "primary_category"),
)

# Lookup tables derived from papers.authors / papers.categories (see index/lookups.py): they
# are caught up by `seq` after each import, so the bulk write path stays one table wide.
paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name_key", Text, nullable=False),  # lower-cased, spaces collapsed: the author key
    Column("announced", Text),  # the paper's: newest-first pages read one index range
    PrimaryKeyConstraint("paper_id", "position"),
    Index("ix_paper_authors_name_key", "name_key", "announced", "paper_id"),
    sqlite_with_rowid=False,
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("category", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("announced", Text),  # the paper's: newest-first pages read one index range
    PrimaryKeyConstraint("paper_id", "category"),
    Index("ix_paper_categories_category", "category", "announced", "paper_id"),
    sqlite_with_rowid=False,
)

# Provenance: what each source said of a paper, and when it said it first and last.
paper_sources = Table(
    "paper_sources",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("source", Text, nullable=False),
    Column("version", Integer),
    Column("first_seen", Text, nullable=False),
    Column("changed_at", Text, nullable=False),  # when its data last changed
    Column("data", Text, nullable=False),  # JSON: the fields this source gave
    PrimaryKeyConstraint("paper_id", "source"),
    sqlite_with_rowid=False,
)

# Hugging Face Daily Papers' view, kept apart from local votes.
hf_papers = Table(
    "hf_papers",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("upvotes", Integer, nullable=False),
    Column("num_comments", Integer),
    Column("submitter", Text),
    Column("ai_summary", Text),
    Column("ai_keywords", Text),  # JSON list
    Column("github_repo", Text),
    Column("project_page", Text),
    Column("published_at", Text),
    Column("submitted_daily_at", Text),
    Column("organization", Text),
    Column("fetched_at", Text, nullable=False),
)

# Resumable work: import checkpoints, harvest watermarks, index positions.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", Text, nullable=False),
)

# Claims extracted from abstracts (issue: efficiency claims), versioned with the paper.
paper_claims = Table(
    "paper_claims",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("paper_version", Integer),
    Column("extractor_version", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("low", Float),
    Column("high", Float),
    Column("unit", Text, nullable=False),
    Column("what", Text),
    Column("text", Text, nullable=False),
    Column("start", Integer),
    Column("end", Integer),
    PrimaryKeyConstraint("paper_id", "position"),
    Index("ix_paper_claims_kind_value", "kind", "value"),
)

# Sentence vectors of title + abstract: the source of truth for every ANN index (derived).
paper_vectors = Table(
    "paper_vectors",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("model_id", Text, nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vec", LargeBinary, nullable=False),  # float16, little-endian, L2-normalised
    Column("text_hash", Text, nullable=False),  # of the embedded text: re-embed when it changes
    Column("seq", BigInteger, nullable=False),  # the paper's seq when embedded
    Column("embedded_at", Text, nullable=False),
    Index("ix_paper_vectors_model_seq", "model_id", "seq"),
)

# Accounts, sessions, votes and libraries (web app).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False, unique=True),  # stored lower-cased
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("display_name", Text),
    Column("created_at", Text, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),  # sha256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("last_used_at", Text),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "paper_id"),
    Index("ix_votes_paper", "paper_id"),
    Index("ix_votes_created", "created_at"),
)

library = Table(
    "library",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("tags", Text),  # JSON list
    Column("created_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "paper_id"),
)

not_interested = Table(
    "not_interested",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "paper_id"),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", Text, nullable=False),  # "email:..." or "ip:..."
    Column("at", Text, nullable=False),
    Index("ix_login_attempts_key_at", "key", "at"),
)

# One row per (job, schedule slot): a worker claims a slot by inserting it, so several workers
# on several machines never run the same slot twice; a stale heartbeat lets another take over.
worker_jobs = Table(
    "worker_jobs",
    metadata,
    Column("job", Text, nullable=False),
    Column("run_key", Text, nullable=False),
    Column("worker", Text, nullable=False),
    Column("status", Text, nullable=False),  # running | done | failed
    Column("started_at", Text, nullable=False),
    Column("heartbeat_at", Text, nullable=False),
    Column("finished_at", Text),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("result", Text),
    Column("error", Text),
    PrimaryKeyConstraint("job", "run_key"),
    Index("ix_worker_jobs_started", "started_at"),
)

# Email digests (issue #5): double opt-in subscriptions, an outbox with one row per
# (subscription, period) and the papers each subscriber was sent, unique per paper.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False, unique=True),  # lower-cased
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("status", Text, nullable=False),  # pending | active | paused | unsubscribed
    Column("trending", Integer, nullable=False, server_default="0"),
    Column("topics", Text, nullable=False, server_default="[]"),  # JSON lists
    Column("categories", Text, nullable=False, server_default="[]"),
    Column("authors", Text, nullable=False, server_default="[]"),
    Column("frequency", Text, nullable=False, server_default="daily"),  # daily | weekly
    Column("max_papers", Integer, nullable=False, server_default="20"),
    Column("send_empty", Integer, nullable=False, server_default="0"),
    Column("nonce", Text, nullable=False),  # in every link's MAC: a new one revokes them
    Column("seq_mark", BigInteger, nullable=False, server_default="0"),
    Column("created_at", Text, nullable=False),
    Column("confirmed_at", Text),
    Column("updated_at", Text, nullable=False),
)

digest_outbox = Table(
    "digest_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"),
           nullable=False),
    Column("kind", Text, nullable=False),  # digest | confirm | notice
    Column("period", Text, nullable=False),  # daily:2026-11-23, weekly:2026-W48, confirm:...
    Column("status", Text, nullable=False),  # pending|sending|sent|failed|review|empty|cancelled
    Column("recipient", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message", Text, nullable=False),  # the whole RFC 5322 message, as sent
    Column("n_papers", Integer, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", Text, nullable=False),
    Column("lease_owner", Text),
    Column("lease_until", Text),
    Column("data_sent_at", Text),  # set (committed) just before the final "." of DATA
    Column("last_error", Text),
    Column("created_at", Text, nullable=False),
    Column("sent_at", Text),
    Index("uq_digest_outbox_sub_period", "subscription_id", "period", unique=True),
    Index("ix_digest_outbox_status_next", "status", "next_attempt_at"),
)

digest_items = Table(
    "digest_items",
    metadata,
    Column("subscription_id", Integer, ForeignKey("subscriptions.id", ondelete="CASCADE"),
           nullable=False),
    Column("paper_id", Text, nullable=False),  # versionless id: never the same paper twice
    Column("digest_id", Integer, ForeignKey("digest_outbox.id", ondelete="CASCADE"),
           nullable=False),
    Column("position", Integer, nullable=False),
    Column("reason", Text),
    PrimaryKeyConstraint("subscription_id", "paper_id"),
    Index("ix_digest_items_digest", "digest_id", "position"),
)

# issue #10: every derived index's watermark, in one place (store/index_state.py).
index_state = Table(
    "index_state",
    metadata,
    Column("name", Text, primary_key=True),  # lookups, lexical, claims, vectors:<model>, ...
    Column("seq", BigInteger, nullable=False),  # the highest papers.seq the index holds
    Column("version", Text, nullable=False, server_default=""),  # format / rules it was built by
    Column("build", Text, nullable=False, server_default=""),  # id of a file index's build
    Column("updated_at", Text, nullable=False),
)
# issue #14: API token scopes and expiry (migration 0009). Password reset links are signed
# (accounts/reset.py), so they need no table.
api_tokens.append_column(Column("scopes", Text, nullable=False,
                                server_default="read vote library"))  # space-separated
api_tokens.append_column(Column("expires_at", Text))  # NULL: never
# issue #17: code and project links pulled from abstracts, comments and Hugging Face (a
# derived index caught up by papers.seq, see index/codelinks.py), and library tags that a user
# made public (a collection with its own page, feeds, BibTeX and JSON).
paper_code_links = Table(
    "paper_code_links",
    metadata,
    Column("paper_id", Text, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),  # code | project
    Column("url", Text, nullable=False),
    Column("source", Text, nullable=False),  # abstract | comment | links (HF githubRepo...)
    PrimaryKeyConstraint("paper_id", "position"),
    Index("ix_paper_code_links_kind", "kind", "paper_id"),
)

public_collections = Table(
    "public_collections",
    metadata,
    Column("slug", Text, primary_key=True),  # the collection's URL: /c/{slug}
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("tag", Text, nullable=False),
    Column("title", Text),
    Column("created_at", Text, nullable=False),
    Index("uq_public_collections_user_tag", "user_id", "tag", unique=True),
)
# issue #13: claim facets (direction, value in the kind's one convention, baseline, condition)
# and the paper's date on each claim (migration 0008)
for _name, _type in (("direction", Text), ("norm_value", Float), ("norm_unit", Text),
                     ("subkind", Text), ("baseline", Text), ("condition", Text),
                     ("announced", Text)):
    paper_claims.append_column(Column(_name, _type))
Index("ix_paper_claims_norm", paper_claims.c.kind, paper_claims.c.norm_unit,
      paper_claims.c.norm_value)
Index("ix_paper_claims_announced", paper_claims.c.announced, paper_claims.c.paper_id,
      paper_claims.c.position)
# the paper id too (migration 0012): a kind with a category probes each claim's paper
Index("ix_paper_claims_kind_announced", paper_claims.c.kind, paper_claims.c.announced,
      paper_claims.c.paper_id)
# issue #11: For you. Followed and muted authors/keywords/categories, the papers a user was
# shown (versionless ids: never the same paper twice), and the feed's settings.
user_interests = Table(
    "user_interests",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),  # author | keyword | category
    Column("value", Text, nullable=False),  # author name key, lower-cased word, category
    Column("mode", Text, nullable=False),  # follow | mute
    Column("created_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "value"),
)

seen_papers = Table(
    "seen_papers",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("paper_id", Text, nullable=False),  # versionless: one paper, every version
    Column("seen_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "paper_id"),
)

foryou_settings = Table(
    "foryou_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("social", Integer, nullable=False, server_default="0"),  # 0..100
    Column("reset_at", Text),  # signals before this are ignored
    Column("seeds", Text, nullable=False, server_default="[]"),  # JSON: pasted texts
    Column("updated_at", Text, nullable=False),
)
