"""The review section of the configuration, read once into typed values (rubric, due dates, mail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from repository.config import ConfigError, Settings

#: The issue's default rubric, used when ``[review.criteria]`` is absent.
DEFAULT_CRITERIA: dict[str, str] = {
    "chinh_xac": "Tính chính xác khoa học",
    "chuong_trinh": "Phù hợp chương trình GDPT 2018 và yêu cầu cần đạt",
    "su_pham": "Tính sư phạm",
    "ky_thuat": "Chất lượng kỹ thuật của học liệu",
    "ngon_ngu": "Ngôn ngữ và trình bày",
    "ban_quyen": "Bản quyền và tính hợp pháp",
}
SCORE_MIN, SCORE_MAX = 1, 5


@dataclass(frozen=True)
class Rubric:
    criteria: dict[str, str]    # code -> Vietnamese label, in display order
    comment_below: int          # a score below this needs a comment
    required: bool              # every decision scores every criterion


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    sender: str
    retry_seconds: float


#: The publication scopes, narrowest first; what each reaches is fixed (repository.publication), who
#: approves and how many times is the policy of ``[review.scopes.<scope>]``.
SCOPES: dict[str, str] = {"school": "Trường", "province": "Tỉnh/thành phố", "national": "Toàn quốc"}
UNIT_KINDS = frozenset({"school", "province", "ministry"})


@dataclass(frozen=True)
class ScopePolicy:
    """Who may publish a material at one scope: ``approvals`` approvals of distinct reviewers whose unit
    is of one of ``reviewer_units`` (any unit when empty), from the material's province when
    ``same_province``, from the material's own school (if the reviewer belongs to a school) when ``same_school``;
    ``requires`` is the scope the material must be published at first ("" none)."""

    scope: str
    approvals: int
    reviewer_units: frozenset[str]
    same_province: bool
    requires: str
    due: timedelta
    same_school: bool = False

    @property
    def label(self) -> str:
        return SCOPES[self.scope]


@dataclass(frozen=True)
class ReviewConfig:
    rubric: Rubric
    due: timedelta
    exclude_own_unit: bool
    mail: MailConfig
    scopes: dict[str, ScopePolicy] = field(default_factory=dict)   # configured scopes, narrowest first
    default_scope: str = "national"
    reassign_grace: timedelta = timedelta(days=2)   # overdue work is reminded first, reassigned after this

    def policy(self, scope: str) -> ScopePolicy:
        return self.scopes.get(scope) or self.scopes[self.default_scope]


def review_config(settings: Settings) -> ReviewConfig:
    section = settings.section("review")
    criteria = dict(section.get("criteria") or DEFAULT_CRITERIA)
    if not criteria or not all(isinstance(v, str) and v for v in criteria.values()):
        raise ConfigError("[review.criteria] needs at least one criterion, each code = \"label\"")
    comment_below = int(section.get("comment_below", 3))
    if not SCORE_MIN <= comment_below <= SCORE_MAX + 1:
        raise ConfigError(f"[review] comment_below = {comment_below}: expected {SCORE_MIN}..{SCORE_MAX + 1}")
    rubric = Rubric(criteria, comment_below, bool(section.get("require_scores", True)))
    due = timedelta(days=float(section.get("due_days", 7)))
    scopes, default_scope = _scope_policies(section, due)
    return ReviewConfig(rubric=rubric, due=due, exclude_own_unit=bool(section.get("exclude_own_unit", False)),
                        mail=_mail_config(settings), scopes=scopes, default_scope=default_scope,
                        reassign_grace=timedelta(days=float(section.get("reassign_after_days", 2))))


def _scope_policies(section: dict, due: timedelta) -> tuple[dict[str, ScopePolicy], str]:
    """``[review.scopes.*]`` in the order of SCOPES. ``single_step_publication = true`` replaces them with the
    behaviour before scopes existed: one approval by any reviewer publishes to everybody."""
    if section.get("single_step_publication", False):
        return {"national": ScopePolicy("national", 1, frozenset(), False, "", due)}, "national"
    raw = section.get("scopes") or {}
    unknown = set(raw) - set(SCOPES)
    if unknown:
        raise ConfigError(f"[review.scopes] unknown scope(s) {sorted(unknown)}: expected {list(SCOPES)}")
    policies = {name: _scope_policy(name, raw[name], due) for name in SCOPES if name in raw}
    if not policies:
        policies = {"national": ScopePolicy("national", 1, frozenset(), False, "", due)}
    for policy in policies.values():
        if policy.requires and policy.requires not in policies:
            raise ConfigError(f"[review.scopes.{policy.scope}] requires = \"{policy.requires}\": no such scope")
    default_scope = str(section.get("default_scope") or next(iter(policies)))
    if default_scope not in policies:
        raise ConfigError(f"[review] default_scope = \"{default_scope}\": expected one of {list(policies)}")
    return policies, default_scope


def _scope_policy(name: str, raw: dict, due: timedelta) -> ScopePolicy:
    approvals = int(raw.get("approvals", 1))
    if not 1 <= approvals <= 10:
        raise ConfigError(f"[review.scopes.{name}] approvals = {approvals}: expected 1..10")
    units = frozenset(str(u) for u in raw.get("reviewer_units", []))
    if units - UNIT_KINDS:
        raise ConfigError(f"[review.scopes.{name}] reviewer_units: expected some of {sorted(UNIT_KINDS)}")
    days = raw.get("due_days")
    return ScopePolicy(scope=name, approvals=approvals, reviewer_units=units,
                       same_province=bool(raw.get("same_province", False)), requires=str(raw.get("requires", "")),
                       due=timedelta(days=float(days)) if days is not None else due,
                       same_school=bool(raw.get("same_school", False)))


def _mail_config(settings: Settings) -> MailConfig:
    section = settings.section("review")
    return MailConfig(host=str(section.get("smtp_host", "127.0.0.1")), port=int(section.get("smtp_port", 25)),
                      user=str(section.get("smtp_user", "")), password=str(settings.get("mail", "password", "")),
                      starttls=bool(section.get("smtp_starttls", False)),
                      sender=str(section.get("mail_from", "khohoclieu@localhost")),
                      retry_seconds=float(section.get("mail_retry_seconds", 60)))
