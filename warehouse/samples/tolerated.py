"""Measures a 容错纠错 decision is about, with ground truth (``truth/tolerance_pairs.csv``).

In real exports a 容错 decision (S7) usually reviews an earlier 诫勉 or 问责 of the same cadre on
the same matter (S6), and the sources carry no key joining the two. For some 予以容错/部分容错
decisions this writes that measure: the same cadre (by 人员编号 and ID number), decided one to ten
months before the 认定日期, its 事由 telling the same matter in the sanction clerk's words. It also
writes decoys the pairing must not take: a measure of the same cadre within the window on another
matter. Drawn from a random stream of their own and appended to the sanctions, so other bytes stay.
"""

from datetime import date, timedelta

import numpy as np

from warehouse.samples.mess import date_text
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink

COVERED = (("组织处理", "诫勉"), ("问责", "诫勉谈话"), ("问责", "通报"))
"""The measures a decision reviews (and a decoy may be)."""
_OTHER_MATTERS = (
    "违反工作纪律，值班期间擅离岗位",
    "违规发放津贴补贴",
    "落实安全生产责任不到位，辖区发生一般事故",
)


def _measure(
    rng: np.random.Generator, cadre: Cadre, decided: date, matter: str, n: int, sink: Sink
) -> Row:
    """A sanction row for ``cadre`` decided on ``decided``, linked by its keys."""
    klass, measure = COVERED[n % len(COVERED)]
    row: Row = [
        cadre.name, cadre.id_number, cadre.person_no, klass, measure, None,
        date_text(rng, decided), "县委组织部", matter, None,
    ]  # fmt: skip
    key = f"{cadre.person_no}/{measure}/{decided}"
    sink.link(row, "sanction", key, cadre.name, cadre, sink.evidence(cadre, key=True))
    return row


def tolerated_measures(
    rng: np.random.Generator, decisions: list[Row], cadres: list[Cadre], sink: Sink
) -> list[Row]:
    """For about half the 予以容错/部分容错 ``decisions`` the measure they review, and for about a
    third of those a decoy; each recorded in the truth as covered or not."""
    by_no = {c.person_no: c for c in cadres}
    rows: list[Row] = []
    taken: set[tuple[str, str, date]] = set()  # (人员编号, measure as read, date): one record each

    def free_day(cadre: Cadre, n: int, day: date) -> date:
        # 诫勉谈话 is read as 诫勉: two of them on one day would be one record twice.
        measure = COVERED[n % len(COVERED)][1].removesuffix("谈话")
        while (cadre.person_no, measure, day) in taken:
            day -= timedelta(days=1)
        taken.add((cadre.person_no, measure, day))
        return day

    for n, d in enumerate(decisions):
        case_no, result, text = d[0], d[10], str(d[6])
        decided = d[8]
        assert isinstance(decided, date)  # the generator writes 认定日期 as a date
        cadre = by_no.get(str(d[2]))
        if cadre is None or result not in ("予以容错", "部分容错") or rng.random() >= 0.5:
            continue
        unit, post = d[3], d[4]
        matter = text[text.index("）") + 1 :] if "）" in text else text
        matter = matter.replace("已及时纠正。", "").rstrip("，。")
        when = free_day(cadre, n, decided - timedelta(days=int(rng.integers(30, 300))))
        reviewed = _measure(rng, cadre, when, f"{unit}{post}{cadre.name}{matter}", n, sink)
        sink.pair(str(case_no), reviewed, True, "the measure the decision reviews")
        rows.append(reviewed)
        if rng.random() < 0.35:
            other = _OTHER_MATTERS[int(rng.integers(0, len(_OTHER_MATTERS)))]
            on = free_day(cadre, n + 1, decided - timedelta(days=int(rng.integers(30, 300))))
            decoy = _measure(rng, cadre, on, f"{cadre.name}{other}", n + 1, sink)
            sink.pair(str(case_no), decoy, False, "another matter of the same cadre")
            rows.append(decoy)
    return rows
