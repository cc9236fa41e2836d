"""How true the warnings and the 容错 pairs are, against the generator's truth.

- Overdue warnings (``truth/findings.csv``: each finding's status, feedback day and true
  deadline): a warning for a finding is false when the finding was rectified or its deadline is
  not before the as-of date. ``by_feedback_date`` counts what the old rule raised (an unrectified
  finding fed back before the as-of date, whatever its deadline) on the same events.
- 容错 pairs (``truth/tolerance_pairs.csv``: the measure each decision reviews, and decoys): a pair
  of ``gold/tolerance_review`` is right when the truth says that decision covers that measure;
  recall is over the true pairs whose measure and decision both landed and linked.

Polars in, Polars out.
"""

from datetime import date

import polars as pl

UNRECTIFIED = ("未整改", "整改中")


def _findings(findings: pl.LazyFrame) -> pl.LazyFrame:
    return findings.select(
        pl.col("source_key"),
        pl.col("status").replace({"整改完成": "已整改"}).alias("true_status"),
        pl.col("fed_back").cast(pl.String).str.to_date().alias("fed_back"),
        pl.col("due").cast(pl.String).str.to_date().alias("true_due"),
    )


def overdue_quality(
    warning: pl.LazyFrame, events: pl.LazyFrame, findings: pl.LazyFrame, as_of: date
) -> dict[str, int]:
    """Overdue warnings as raised (``warning``: ``gold/warning``) and as the old rule would have
    raised them, each split into true and false against ``findings``."""
    inspection = events.filter(pl.col("source") == "inspection").select(
        "event_id", "source_key", "person_no", "outcome", "event_date", "link_status"
    )
    truth = _findings(findings)
    truly = pl.col("true_status").is_in(UNRECTIFIED) & (pl.col("true_due") < as_of)
    raised = (
        warning.filter(pl.col("rule_id").str.contains("OVERDUE"))
        .explode("event_ids")
        .select(pl.col("event_ids").alias("event_id"))
        .join(inspection, on="event_id")
        .join(truth, on="source_key", how="left")
    )
    old = inspection.filter(
        (pl.col("link_status") == "linked")
        & pl.col("outcome").is_in(UNRECTIFIED)
        & (pl.col("event_date") < as_of)
    ).join(truth, on="source_key", how="left")
    due = inspection.filter(pl.col("link_status") == "linked").join(truth, on="source_key")
    r, o, d = pl.collect_all([
        raised.select(pl.len().alias("n"), truly.sum().alias("true")),
        old.select(pl.len().alias("n"), truly.sum().alias("true")),
        due.select(truly.sum().alias("true")),
    ])  # fmt: skip
    return {
        "warned": int(r["n"][0]),
        "warned_false": int(r["n"][0] - r["true"][0]),
        "old_rule_warned": int(o["n"][0]),
        "old_rule_false": int(o["n"][0] - o["true"][0]),
        "truly_overdue": int(d["true"][0]),
    }


def pair_quality(
    review: pl.LazyFrame, events: pl.LazyFrame, pairs: pl.LazyFrame
) -> dict[str, float]:
    """Pairs listed in ``review`` (``gold/tolerance_review``) against the true ``pairs``."""
    measure_id = pl.format("sanction|{}|{}|0", "file", "row")
    truth = pairs.select(
        pl.col("case_no").cast(pl.String),
        measure_id.alias("measure_event_id"),
        pl.col("covered").cast(pl.String).str.to_lowercase().eq("true").alias("covered"),
    )
    linked = events.filter(pl.col("link_status") == "linked")
    decisions = linked.filter(pl.col("source") == "tolerance").select(
        pl.col("source_key").alias("case_no")
    )
    measures = linked.select(pl.col("event_id").alias("measure_event_id"))
    listed = review.select("case_no", "measure_event_id").join(
        truth, on=["case_no", "measure_event_id"], how="left"
    )
    findable = (
        truth.filter(pl.col("covered"))
        .join(decisions, on="case_no", how="semi")
        .join(measures, on="measure_event_id", how="semi")
    )
    found = findable.join(review, on=["case_no", "measure_event_id"], how="semi")
    lst, fnd, fin = pl.collect_all([listed, found, findable])
    right = int(lst["covered"].fill_null(False).sum())
    return {
        "listed": lst.height,
        "right": right,
        "decoys_listed": int((lst["covered"] == False).sum()),  # noqa: E712
        "true_pairs": fin.height,
        "found": fnd.height,
        "precision": right / lst.height if lst.height else float("nan"),
        "recall": fnd.height / fin.height if fin.height else float("nan"),
    }
