"""The review section of the configuration, read once into typed values (rubric, due dates, mail)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ReviewConfig:
    rubric: Rubric
    due: timedelta
    exclude_own_unit: bool
    mail: MailConfig


def review_config(settings: Settings) -> ReviewConfig:
    section = settings.section("review")
    criteria = dict(section.get("criteria") or DEFAULT_CRITERIA)
    if not criteria or not all(isinstance(v, str) and v for v in criteria.values()):
        raise ConfigError("[review.criteria] needs at least one criterion, each code = \"label\"")
    comment_below = int(section.get("comment_below", 3))
    if not SCORE_MIN <= comment_below <= SCORE_MAX + 1:
        raise ConfigError(f"[review] comment_below = {comment_below}: expected {SCORE_MIN}..{SCORE_MAX + 1}")
    rubric = Rubric(criteria, comment_below, bool(section.get("require_scores", True)))
    return ReviewConfig(rubric=rubric, due=timedelta(days=float(section.get("due_days", 7))),
                        exclude_own_unit=bool(section.get("exclude_own_unit", False)),
                        mail=_mail_config(settings))


def _mail_config(settings: Settings) -> MailConfig:
    section = settings.section("review")
    return MailConfig(host=str(section.get("smtp_host", "127.0.0.1")), port=int(section.get("smtp_port", 25)),
                      user=str(section.get("smtp_user", "")), password=str(settings.get("mail", "password", "")),
                      starttls=bool(section.get("smtp_starttls", False)),
                      sender=str(section.get("mail_from", "khohoclieu@localhost")),
                      retry_seconds=float(section.get("mail_retry_seconds", 60)))
