"""The review tables of the case store (the migrations in `migrations/` create them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    false,
)

from amlwatch.cases.store import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    # an administrator reset the password: the user must change it at the next login
    Column("must_change_password", Boolean, nullable=False, default=False, server_default=false()),
    Column("password_reset_by", String(64)),
    Column("password_reset_at", DateTime),
)
# four eyes on access: a change giving sight of cases waits for a second administrator
user_changes = Table(
    "user_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # create | branches | activate | password
    Column("payload", JSON, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", DateTime, nullable=False),
    Column("state", String(16), nullable=False),  # pending | approved | rejected
    Column("decided_by", String(64)),
    Column("decided_at", DateTime),
)
# failed logins per account and client address ("u:<name>|<address>") and per address
# ("a:<address>"): the throttle that slows guessing without locking the account for everyone
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locks", Integer, nullable=False),
    Column("last_at", DateTime, nullable=False),
    Column("locked_until", DateTime),
)
user_branches = Table(
    "user_branches",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("branch_code", String(32), primary_key=True),
)
dismissal_reasons = Table(
    "dismissal_reasons",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("label", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)
review_settings = Table(
    "review_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)
cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(96), nullable=False, unique=True),
    Column("rule_code", String(16), nullable=False, index=True),
    Column("rule_name", String(128), nullable=False),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("customer_name", String(256), nullable=False),
    Column("branch_code", String(32), nullable=False, index=True),
    Column("window_start", Date, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("first_scan_date", Date, nullable=False, index=True),
    Column("last_scan_date", Date, nullable=False),
    Column("score", Float, nullable=False),
    Column("in_total", String(32), nullable=False),
    Column("out_total", String(32), nullable=False),
    Column("evidence_count", Integer, nullable=False),
    Column("state", String(24), nullable=False, index=True),
    Column("snapshot_version", Integer, nullable=False),
    Column("snoozed", Boolean, nullable=False, default=False),
    Column("level", Integer, nullable=False, default=0),
    Column("stcb", Text, nullable=False),
    Column("aosp", Text, nullable=False),
    Column("crime_types", JSON, nullable=False),
    Column("urgency", String(2), nullable=False),
    Column("dismissal_reason", String(16)),
    Column("dismissal_text", Text),
    Column("review_version", Integer),
    Column("approved_on", Date),
    Column("due_date", Date, index=True),
    Column("report_name", String(35)),
    Column("submitted_on", Date),
    # continuing reports (续报): reports generated in earlier rounds, the first one's name
    Column("report_times", Integer, nullable=False, default=0, server_default="0"),
    Column("first_report", String(35)),
    # where the report goes (DORP) and, for an urgent one (DETR 02), why
    Column("direction", String(2), nullable=False, default="01", server_default="01"),
    Column("urgent_reason", Text),
    Column("decided_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("assignee", String(64), index=True),  # the liaison who works it (None: 未分配)
    # every monitoring standard that hit the case's customer and window, [[code, name], …],
    # the opening alert's first (None: that one alone, as before cases had several)
    Column("standards", JSON),
    # customer: one customer's alerts in one window; group (团伙): one network structure, its
    # member customers in `case_members` (the case's customer is its first source)
    Column("kind", String(8), nullable=False, default="customer", server_default="customer"),
)
# the customers of a group case with their role in the structure (source, intermediary,
# sink, origin): a member already in an open case links the two cases
case_members = Table(
    "case_members",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("customer_id", String(64), primary_key=True, index=True),
    Column("role", String(16), nullable=False),
    Column("added_version", Integer, nullable=False),
)
# the alerts a case is made of: one per standard that hit the customer in the case's window
case_alerts = Table(
    "case_alerts",
    metadata,
    Column("alert_id", String(96), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("rule_code", String(32), nullable=False, index=True),
    Column("rule_name", String(128), nullable=False),
    Column("added_version", Integer, nullable=False),  # the evidence version it came with
    Column("added_on", Date, nullable=False),  # the scan date it came with
)
# the hashed ID and account numbers of a case's subject and counterparties (cases.keys)
case_keys = Table(
    "case_keys",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("kind", String(8), primary_key=True),  # id | account | cp_id | cp_acct
    Column("key", String(64), primary_key=True, index=True),
    Column("shown", String(64), nullable=False),  # the number masked, as a page may show it
)
# dated investigation notes, each with at most one attached file (kept with its hash)
case_notes = Table(
    "case_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("file_name", String(200)),
    Column("file_type", String(16)),
    Column("file_size", Integer),
    Column("file_sha256", String(64)),
    Column("file_data", LargeBinary),
    # the file goes into the case's suspicious report, in its attachment package (spec §3)
    Column("for_report", Boolean, nullable=False, server_default=false()),
    # the reports of the case before it (`cases.report_times` then): a continuing report
    # (续报) carries the files of its own round
    Column("report_round", Integer, nullable=False, server_default="0"),
)
case_snapshots = Table(
    "case_snapshots",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("taken_at", DateTime, nullable=False),
    Column("scan_date", Date, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("content", JSON, nullable=False),
)
case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(24)),
    Column("to_state", String(24)),
    Column("level", Integer),
    Column("detail", JSON, nullable=False),
)
snoozes = Table(
    "snoozes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("rule_code", String(16), nullable=False),
    Column("branch_code", String(32), nullable=False),
    Column("until", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("approved_by", String(64)),
    Column("state", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
)
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False, index=True),
    Column("target", String(128), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64)),  # HMAC of the hash with the audit key (outside the database)
)
# the chain's head, one row: appends lock it, so concurrent appends queue
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
# after a retention purge: the last entry removed, from which the chain is checked
audit_anchor = Table(
    "audit_anchor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("purged_at", DateTime, nullable=False),
)
# open only inside a retention purge: lets the append-only tables lose rows older than `before`
retention_gate = Table(
    "retention_gate",
    metadata,
    Column("table_name", String(32), primary_key=True),
    Column("before", DateTime, nullable=False),
)
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
)
# a party of the bank alike enough to a listed party to put to a person (名单监测): one case
# per party and list entry; the entry and the party as screened are kept as they were
screening_cases = Table(
    "screening_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subject_kind", String(16), nullable=False
    ),  # customer | legal_rep | controller | counterparty | agent
    Column("subject_ref", String(128), nullable=False, index=True),
    Column("subject_digest", String(16), nullable=False),
    Column("subject_name", String(256), nullable=False),
    Column("subject", JSON, nullable=False),  # the party's data as screened
    Column("customer_id", String(64), nullable=False, index=True),  # the bank's customer concerned
    Column("customer_name", String(256), nullable=False),
    Column("branch_code", String(32), nullable=False, index=True),
    Column("txn_id", String(96)),  # a counterparty's or agent's transaction
    Column("list_code", String(32), nullable=False),
    Column("list_version", Integer, nullable=False),
    Column("entry_ref", String(64), nullable=False),
    Column("entry_digest", String(64), nullable=False),
    Column("entry", JSON, nullable=False),  # the list entry as that version has it
    Column("score", Integer, nullable=False),
    Column("band", String(8), nullable=False),  # hit | review
    Column("reasons", JSON, nullable=False),
    Column("first_found_on", Date, nullable=False),
    Column("last_found_on", Date, nullable=False),
    Column("state", String(24), nullable=False, index=True),
    Column("proposed_by", String(64)),
    Column("proposal", Text),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime),
    Column("report_due", Date),
    Column("reported_on", Date),
    Column("report_note", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
screening_events = Table(
    "screening_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("screening_cases.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(24)),
    Column("to_state", String(24)),
    Column("detail", JSON, nullable=False),
)
# what a confirmed hit did: the customer and its accounts frozen, or a counterparty's account
# blocked, with the time (the nightly summary, the customer picture and the case list show it)
screening_actions = Table(
    "screening_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("screening_cases.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # freeze | block
    Column("customer_id", String(64), nullable=False, index=True),
    Column("party_ref", String(128), nullable=False),
    Column("accounts", JSON, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
)
# customer risk rating (客户洗钱风险等级): every level a customer was given, never overwritten
# (the newest row is the level in force), confirmed by the system (a new or unchanged rating
# of a level the model lets it confirm) or by an approver at the end of a rating review
customer_ratings = Table(
    "customer_ratings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("customer_name", String(256), nullable=False),
    Column("branch_code", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("computed_level", String(8), nullable=False),  # the model's, when it was confirmed
    Column("score", Float, nullable=False),
    Column("model", String(64), nullable=False),
    Column("factors", JSON, nullable=False),  # factor code -> score
    Column("reasons", JSON, nullable=False),  # the factors and hard rules that weigh most
    Column("rated_on", Date, nullable=False),
    Column("confirmed_by", String(64), nullable=False),
    Column("review_id", Integer),
    Column("next_review_on", Date, nullable=False),
    Column("note", Text),
    Column("created_at", DateTime, nullable=False),
)
# a rating put to people: a new customer's level the model may not confirm alone, a change of
# the model's level, a periodic review, an event (a report, an identity change, a liaison's
# request); a liaison proposes a level, another approver confirms it
rating_reviews = Table(
    "rating_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("customer_name", String(256), nullable=False),
    Column("branch_code", String(32), nullable=False, index=True),
    Column("trigger", String(16), nullable=False),
    Column("trigger_detail", Text, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("model", String(64), nullable=False),
    Column("current_level", String(8)),
    Column("computed_level", String(8), nullable=False),
    Column("score", Float, nullable=False),
    Column("factors", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("proposed_level", String(8)),
    Column("proposed_by", String(64)),
    Column("proposal", Text),
    Column("decided_by", String(64)),
    Column("decided_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
rating_events = Table(
    "rating_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", Integer, ForeignKey("rating_reviews.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("detail", JSON, nullable=False),
)
