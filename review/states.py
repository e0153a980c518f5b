"""The review state machine: every state and every allowed transition, in one table.

A transition names who may take it (roles), whether the actor must or must not be the material's
owner, whether a comment is required, and what it does to publication. Nothing else in the code
decides whether a state change is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

#: state -> Vietnamese label. The first is the state every material starts in.
STATES: dict[str, str] = {
    "draft": "Bản nháp",
    "in_review": "Đang thẩm định",
    "changes_requested": "Cần chỉnh sửa",
    "published": "Đã xuất bản",
    "rejected": "Bị từ chối",
    "withdrawn": "Đã gỡ xuống",
}
INITIAL_STATE = next(iter(STATES))

ACTION_LABELS: dict[str, str] = {
    "submit": "Gửi thẩm định",
    "approve": "Phê duyệt",
    "endorse": "Phê duyệt (chờ thêm phê duyệt)",
    "request_changes": "Yêu cầu chỉnh sửa",
    "reject": "Từ chối",
    "withdraw": "Gỡ xuống",
}

#: Audit events that are not state changes (assignment work), with their Vietnamese labels.
EVENT_LABELS: dict[str, str] = {
    "upload": "Tải lên",
    "assign": "Phân công thẩm định",
    "claim": "Nhận thẩm định",
    "reassign": "Phân công lại (quá hạn)",
    "comment": "Nhận xét thẩm định",
    "remind": "Nhắc hạn thẩm định",
}

#: The decisions a reviewer takes on a submission.
DECISIONS: tuple[str, ...] = ("approve", "request_changes", "reject")
#: Actions only the workflow takes (an approval turns into "endorse" while the policy needs more approvals).
INTERNAL_ACTIONS = frozenset({"endorse"})


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    roles: frozenset[str]
    owner: str = "any"               # "must" (only the owner), "must_not" (never the owner), "any"
    admin_overrides_owner: bool = False   # an administrator may act as if owner
    comment_required: bool = False
    requires_ingested: bool = False  # the current version's ingest must have succeeded
    publication: str = "keep"       # "publish" | "unpublish" | "keep"


AUTHORS = frozenset({"teacher", "admin"})
REVIEWERS = frozenset({"reviewer", "admin"})

TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", "draft", "in_review", AUTHORS, owner="must", requires_ingested=True),
    Transition("submit", "changes_requested", "in_review", AUTHORS, owner="must", requires_ingested=True),
    # A published material goes back to review for a revision or a wider scope; it stays published meanwhile.
    Transition("submit", "published", "in_review", AUTHORS, owner="must", requires_ingested=True),
    Transition("approve", "in_review", "published", REVIEWERS, owner="must_not", publication="publish"),
    # An approval while the scope's policy still needs more approvals: the round goes on.
    Transition("endorse", "in_review", "in_review", REVIEWERS, owner="must_not"),
    Transition("request_changes", "in_review", "changes_requested", REVIEWERS, owner="must_not",
               comment_required=True),
    Transition("reject", "in_review", "rejected", REVIEWERS, owner="must_not", comment_required=True),
    Transition("withdraw", "published", "withdrawn", AUTHORS, owner="must", admin_overrides_owner=True,
               comment_required=True, publication="unpublish"),
    Transition("withdraw", "in_review", "withdrawn", AUTHORS, owner="must", admin_overrides_owner=True,
               comment_required=True, publication="unpublish"),
)


def find_transition(action: str, source: str) -> Transition | None:
    return next((t for t in TRANSITIONS if t.action == action and t.source == source), None)


def actions_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]
