"""澄清正名通知书: one notice per report found 不实 or 查无实据 and publicly cleared.

A report (信访举报) that was found untrue (``不实``) or unproven (``查无实据``) and flagged
``是否澄清正名`` is closed and the cadre cleared "by meeting, by a 正名通知书, or by announcement"
(DOMAIN.md, 澄清正名). The notice says what was reported **in general terms** — the 问题类别 the
petition office filed it under, never its 问题摘要 (free text a clerk may have written anything
into) —, the finding and the dates. It never names the reporter: nothing here reads a reporter
field (they never leave extraction), and the text is built only from the columns listed in
:data:`FIELDS`.

The wording is a deployment's (``clearance_notice.yaml``: issuing organ, document number, the
paragraphs with ``{字段}`` placeholders); :func:`fill` checks that a template names only known
fields. Polars in, Polars out; :func:`notice_texts` gives each notice's filled paragraphs.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from string import Formatter
from typing import Any

import polars as pl

from transforms.publishing import file_stem

FINDINGS = ("不实", "查无实据")
"""The 办理结果 a notice is issued for: the report was untrue or could not be proven."""
FIELDS = ("姓名", "单位", "职务", "收件日期", "办结日期", "问题类别", "核查结论", "件号")
"""The placeholders a template may use; nothing else of a report reaches a notice."""
GENERAL_CATEGORY = "有关"
"""A report the petition office filed under no 问题类别, or under 其他: 反映你有关问题."""
UNNAMED_CATEGORIES = ("其他",)
NOTICE_COLUMNS = (
    "person_no", "name", "unit", "post", "source_key", "received", "closed", "category",
    "finding", "false_accusation", "file",
)  # fmt: skip


@dataclass(frozen=True)
class NoticeTemplate:
    """``clearance_notice.yaml``: the parts of the notice a deployment words and fills."""

    organ: str
    """发文机关, printed as the signature (a placeholder until the deployment fills it)."""
    number: str
    """发文字号 (``X组澄〔2025〕N号``; a placeholder, may use the fields)."""
    title: str
    addressee: str
    paragraphs: tuple[str, ...]
    false_accusation: str
    """The paragraph added when the report was also judged a false accusation (诬告陷害)."""
    copy_to: str
    signed_on: str
    """成文日期 (a placeholder: the day the organ signs, not the day of the finding)."""
    source: str
    """Where the template came from (file), for errors."""


class TemplateError(ValueError):
    """A template that names a field a notice does not have, or breaks a placeholder."""


def placeholders(text: str) -> list[str]:
    """The ``{字段}`` names ``text`` uses.

    Raises:
        TemplateError: a brace opened and never closed, or a format spec (``{姓名!r}``).
    """
    try:
        parsed = list(Formatter().parse(text))
    except ValueError as error:
        raise TemplateError(f"{text!r}: {error} (write a literal brace as {{{{ or }}}})") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise TemplateError(f"{text!r}: write a field as {{{name}}}, without ! or :")
        names.append(name)
    return names


def check_template(template: NoticeTemplate) -> None:
    """Every text of ``template`` uses only :data:`FIELDS`.

    Raises:
        TemplateError: names the text and the unknown field.
    """
    texts = [template.organ, template.number, template.title, template.addressee,
             *template.paragraphs, template.false_accusation, template.copy_to, template.signed_on]  # fmt: skip
    for text in texts:
        unknown = [n for n in placeholders(text) if n not in FIELDS]
        if unknown:
            raise TemplateError(
                f"{template.source}: {text!r} names {', '.join(unknown)}, not a field of a notice "
                f"(one of {', '.join(FIELDS)})"
            )


def clearance_notices(
    clearance: pl.LazyFrame, events: pl.LazyFrame, cadres: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per cleared report found 不实 or 查无实据 (:data:`NOTICE_COLUMNS`).

    Args:
        clearance: ``gold/clearance`` (already cut to a scope when publishing a scope).
        events: ``silver/supervision_event`` (``event_id``, ``category``: the report's 问题类别).
        cadres: ``silver/cadre`` (``person_no``, ``name``, ``unit``, ``post``).
    """
    category = events.select("event_id", pl.col("category").alias("_category")).unique("event_id")
    return (
        clearance.filter(pl.col("cleared") & pl.col("result").is_in(FINDINGS))
        .join(category, on="event_id", how="left")
        .join(cadres.select("person_no", pl.col("post").alias("_post")), on="person_no", how="left")
        .unique(["person_no", "source_key"], keep="first", maintain_order=True)
        .sort("person_no", "received", "source_key")
        .select(
            "person_no", "name", "unit", pl.col("_post").alias("post"), "source_key", "received",
            "closed", pl.col("_category").alias("category"), pl.col("result").alias("finding"),
            "false_accusation",
            pl.concat_str(pl.col("person_no"), pl.lit("-"), pl.col("source_key"))
            .map_elements(file_stem, return_dtype=pl.String).alias("file"),
        )
    )  # fmt: skip


def _cn_date(value: object) -> str:
    return (
        f"{value.year}年{value.month}月{value.day}日" if isinstance(value, date) else "（日期不详）"
    )


def fields_of(row: Mapping[str, Any]) -> dict[str, str]:
    """The values a template's placeholders take for one notice row."""
    category = row.get("category")
    return {
        "姓名": row.get("name") or "", "单位": row.get("unit") or "", "职务": row.get("post") or "",
        "收件日期": _cn_date(row.get("received")), "办结日期": _cn_date(row.get("closed")),
        "问题类别": (
            f"{category}方面" if category and category not in UNNAMED_CATEGORIES else GENERAL_CATEGORY
        ),
        "核查结论": row.get("finding") or "", "件号": row.get("source_key") or "",
    }  # fmt: skip


def notice_texts(row: Mapping[str, Any], template: NoticeTemplate) -> dict[str, Any]:
    """The filled notice: ``organ``, ``number``, ``title``, ``addressee``, ``paragraphs`` (a
    list), ``copy_to``, ``signed_on``."""
    values = fields_of(row)

    def fill(text: str) -> str:
        return text.format_map(values)

    paragraphs = [fill(p) for p in template.paragraphs]
    if row.get("false_accusation"):
        paragraphs.insert(min(2, len(paragraphs)), fill(template.false_accusation))
    return {
        "organ": fill(template.organ), "number": fill(template.number),
        "title": fill(template.title), "addressee": fill(template.addressee),
        "paragraphs": [p for p in paragraphs if p.strip()], "copy_to": fill(template.copy_to),
        "signed_on": fill(template.signed_on),
    }  # fmt: skip
